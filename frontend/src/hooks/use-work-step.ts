import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

import { ApiError, claimWorkItem, completeWorkItem, getWorkItem } from '../lib/api';
import type { RunEvent } from '../lib/run-events';
import { conflictNotice, outcomeLabel, serverFieldErrors, takenNotice } from '../lib/work-guide';
import type { WorkItemDetail } from '../lib/work-schemas';
import { useOnChange } from './use-on-change';

export type Notice = { tone: 'done' | 'problem'; text: string };

export type WorkStep = {
  /** undefined while it is read; null when it does not exist or is not the person's to see (404). */
  item: WorkItemDetail | null | undefined;
  /** A failure to read it other than a 404. */
  error: string | null;
  notice: Notice | null;
  fieldErrors: Record<string, string>;
  busy: boolean;
  /** The outcome this person just completed it with (in this page's life), else null. */
  completedWith: string | null;
  me: string;
  complete: (outcome: string, values: Record<string, unknown>, comment: string | null) => Promise<void>;
  claim: (take: boolean) => Promise<void>;
  /** Feed it the item's run's events: a colleague completing the step shows at once. */
  onRunEvents: (events: RunEvent[]) => void;
};

const message = (failure: unknown) => (failure instanceof Error ? failure.message : String(failure));

/**
 * One work item in the Work Guide: read it, claim or release it, complete it, and say
 * plainly what happened — done, a colleague was first (live, or the server's 409), or
 * which fields the server refused (422). `onChange` hears of every change — with the
 * new notice, null when the notice was cleared, undefined when there is none — so a
 * page showing several steps can keep its own list and notice up to date.
 */
export function useWorkStep(
  itemId: string,
  me: string,
  onChange?: (notice: Notice | null | undefined) => void,
): WorkStep {
  const [item, setItem] = useState<WorkItemDetail | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNoticeState] = useState<Notice | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [completedWith, setCompletedWith] = useState<string | null>(null);
  const changed = useRef(onChange);
  // Kept current once each render is committed, before any effect or event can call it.
  useLayoutEffect(() => {
    changed.current = onChange;
  });

  const say = useCallback((next: Notice | null) => {
    setNoticeState(next);
    changed.current?.(next);
  }, []);

  // What the page showed last (and whether this person completed it): a reload compares against it.
  const current = useRef<{ item: WorkItemDetail | null | undefined; completedWith: string | null }>({
    item,
    completedWith,
  });
  useLayoutEffect(() => {
    current.current = { ...current.current, item, completedWith };
  });

  /**
   * Read the item again. With `judge`, a step the page showed open that a colleague has
   * completed since is said so, whichever event or reload brought the news; returns
   * whether it was said.
   */
  const load = useCallback(
    async (judge = false): Promise<boolean> => {
      const before = current.current;
      try {
        const found = await getWorkItem(itemId);
        current.current = { ...current.current, item: found };
        setItem(found);
        setError(null);
        const wasOpen = before.item?.status === 'open' || before.item?.status === 'claimed';
        if (
          judge &&
          wasOpen &&
          before.completedWith === null &&
          found.status === 'completed' &&
          found.completed_by !== me
        ) {
          say({ tone: 'problem', text: takenNotice(found) });
          return true;
        }
      } catch (failure) {
        if (failure instanceof ApiError && failure.status === 404) setItem(null);
        else setError(message(failure));
      }
      return false;
    },
    [itemId, me, say],
  );

  // Another item (or person): nothing of the last one shows while its own loads.
  useOnChange(`${itemId}\u0000${me}`, () => {
    setItem(undefined);
    setNoticeState(null);
    setCompletedWith(null);
  });
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- load sets state only once its request answers (after an await), which the rule cannot see
    void load();
  }, [load]);

  const onRunEvents = useCallback(
    (events: RunEvent[]) => {
      if (events.length === 0) return;
      void load(true).then((said) => {
        if (!said) changed.current?.(undefined);
      });
    },
    [load],
  );

  const complete = useCallback(
    async (outcome: string, values: Record<string, unknown>, comment: string | null) => {
      const shown = current.current.item;
      if (!shown) return;
      setBusy(true);
      setFieldErrors({});
      try {
        const done = await completeWorkItem(shown.id, { outcome, values, comment });
        setCompletedWith(done.outcome ?? outcome);
        current.current = { ...current.current, completedWith: done.outcome ?? outcome };
        say({ tone: 'done', text: `Done: ${shown.label} — ${outcomeLabel(shown.form, done.outcome)}.` });
      } catch (failure) {
        if (failure instanceof ApiError && failure.status === 409) {
          const now = await getWorkItem(shown.id).catch(() => null);
          say({ tone: 'problem', text: conflictNotice(shown, now, me, failure.message) });
        } else if (failure instanceof ApiError && failure.status === 422) {
          setFieldErrors(serverFieldErrors(failure.details));
          say({ tone: 'problem', text: failure.message });
        } else {
          say({ tone: 'problem', text: message(failure) });
        }
      } finally {
        setBusy(false);
        await load();
      }
    },
    [me, load, say],
  );

  const claim = useCallback(
    async (take: boolean) => {
      const shown = current.current.item;
      if (!shown) return;
      try {
        await claimWorkItem(shown.id, take);
        say(null);
      } catch (failure) {
        say({ tone: 'problem', text: message(failure) });
      }
      await load();
    },
    [load, say],
  );

  return { item, error, notice, fieldErrors, busy, completedWith, me, complete, claim, onRunEvents };
}
