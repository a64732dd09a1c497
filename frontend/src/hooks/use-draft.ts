/**
 * The draft of one orchestration on the canvas: loads it (laying it out when it has
 * no positions yet), saves it with the revision it was loaded at — on request and,
 * a moment after the last change, by itself — asks the server to validate it, and
 * activates it. The server's issues go to the issues store.
 *
 * Nothing is saved while the canvas shows something else than the draft (an earlier
 * version, a comparison: see use-builder-view.ts).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';

import { ApiError, activate, getOrchestration, saveDraft, validateDocument } from '../lib/api';
import { issueSchema, type VersionSummary } from '../lib/api-schemas';
import { canonicalJson, needsLayout } from '../lib/document';
import { DocumentShapeError, parseDocument } from '../lib/document-schema';
import { layout } from '../lib/layout';
import { useIssuesStore } from '../store/issues-store';
import { useSessionStore } from '../store/session-store';
import { flowStore } from '../store/use-flow-store';
import { mayNotDesign, useViewStore } from '../store/view-store';

/** How long the canvas stays still before the draft saves itself. */
export const AUTOSAVE_DELAY_MS = 1500;

export type DraftStatus =
  { state: 'loading' } | { state: 'failed'; message: string; problems: string[] } | { state: 'ready' };

export type SaveStatus = {
  revision: number;
  /** The document as last loaded or saved (JSON), to tell whether the canvas has changes. */
  savedJson: string;
  busy: 'saving' | 'validating' | 'activating' | null;
  savedAt: string | null;
  error: string | null;
  /** Someone else saved meanwhile: saving (and autosave) stops until a reload. */
  conflict: boolean;
  /** The version the last activation made. */
  activated: number | null;
  activeVersion: number | null;
  versions: VersionSummary[];
};

function messageOf(error: unknown): string {
  if (error instanceof ApiError && error.status === 409) {
    return 'Someone else saved this draft meanwhile. Reload the page to get their version (your unsaved changes will be lost).';
  }
  return error instanceof Error ? error.message : String(error);
}

const INITIAL: SaveStatus = {
  revision: 0,
  savedJson: '',
  busy: null,
  savedAt: null,
  error: null,
  conflict: false,
  activated: null,
  activeVersion: null,
  versions: [],
};

const isDraftView = () => useViewStore.getState().view.mode === 'draft';

export function useDraft(key: string) {
  const navigate = useNavigate();
  const setIssues = useIssuesStore((s) => s.setIssues);
  const [status, setStatus] = useState<DraftStatus>({ state: 'loading' });
  const [save, setSave] = useState<SaveStatus>(INITIAL);
  const revision = useRef(0);
  const savedJson = useRef('');
  const saving = useRef<Promise<void> | null>(null);
  const conflict = useRef(false);
  // The document the issues on show were found in: "Check for issues" finds them in the canvas's,
  // which an edit can take back to the saved one (no save follows, nothing would check it again).
  const checkedJson = useRef('');

  const signInAgain = useCallback(
    (error: unknown) => {
      if (!(error instanceof ApiError) || error.status !== 401) return false;
      void navigate(`/login?next=${encodeURIComponent(`/builder/${key}`)}`);
      return true;
    },
    [key, navigate],
  );

  useEffect(() => {
    let cancelled = false;
    setStatus({ state: 'loading' });
    conflict.current = false;
    void (async () => {
      try {
        const orchestration = await getOrchestration(key);
        const document = parseDocument(orchestration.draft.document);
        flowStore.getState().load(document);
        if (needsLayout(document)) {
          const { nodes, edges } = flowStore.getState();
          flowStore.getState().applyLayout(await layout(nodes, edges));
          flowStore.temporal.getState().clear();
        }
        if (cancelled) return;
        revision.current = orchestration.draft.revision;
        savedJson.current = canonicalJson(document);
        checkedJson.current = savedJson.current;
        setIssues(orchestration.draft.issues);
        setSave({
          ...INITIAL,
          revision: orchestration.draft.revision,
          savedJson: savedJson.current,
          savedAt: orchestration.draft.updated_at ?? null,
          activeVersion: orchestration.active_version,
          versions: orchestration.versions,
        });
        setStatus({ state: 'ready' });
      } catch (error) {
        if (cancelled || signInAgain(error)) return;
        if (error instanceof DocumentShapeError) {
          const message = 'The saved draft is not shaped like an orchestration document, so the canvas cannot draw it:';
          setStatus({ state: 'failed', message, problems: error.problems });
        } else {
          setStatus({ state: 'failed', message: messageOf(error), problems: [] });
        }
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [key, setIssues, signInAgain]);

  const saveNow = useCallback(async (): Promise<void> => {
    if (!isDraftView() || conflict.current) return;
    if (saving.current) await saving.current; // one save at a time, in order
    const document = flowStore.getState().toDocument();
    const json = canonicalJson(document);
    if (json === savedJson.current) {
      // Nothing to save (Ctrl+S, or edits back to the saved draft); issues of another document are checked again.
      if (checkedJson.current !== json) {
        checkedJson.current = json;
        await validateDocument(key, document).then(
          (result) => {
            if (checkedJson.current === json) setIssues(result.issues);
          },
          () => {
            checkedJson.current = '';
          }, // the next save or check tries again
        );
      }
      return;
    }
    setSave((s) => ({ ...s, busy: 'saving', error: null }));
    const run = (async () => {
      try {
        const draft = await saveDraft(key, document, revision.current);
        revision.current = draft.revision;
        savedJson.current = json;
        checkedJson.current = json;
        setIssues(draft.issues);
        setSave((s) => ({
          ...s,
          revision: draft.revision,
          savedJson: json,
          busy: null,
          savedAt: draft.updated_at ?? null,
          error: null,
        }));
      } catch (error) {
        if (signInAgain(error)) return;
        if (error instanceof ApiError && error.status === 409) conflict.current = true;
        setSave((s) => ({ ...s, busy: null, error: messageOf(error), conflict: conflict.current }));
      }
    })();
    saving.current = run;
    await run;
    saving.current = null;
  }, [key, setIssues, signInAgain]);

  // Autosave: a moment after the last change to the draft.
  useEffect(() => {
    if (status.state !== 'ready') return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = flowStore.subscribe((state, previous) => {
      if (state.meta === previous.meta && state.nodes === previous.nodes && state.edges === previous.edges) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        // Someone who may not change the draft (ops) only reads it: the server would refuse the save.
        if (
          mayNotDesign(useSessionStore.getState().user?.role) ||
          flowStore.getState().nodes.some((n) => n.dragging || n.resizing)
        )
          return;
        void saveNow();
      }, AUTOSAVE_DELAY_MS);
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [status.state, saveNow]);

  const validateNow = useCallback(async () => {
    setSave((s) => ({ ...s, busy: 'validating', error: null }));
    try {
      const document = flowStore.getState().toDocument();
      const result = await validateDocument(key, document);
      checkedJson.current = canonicalJson(document);
      setIssues(result.issues);
      setSave((s) => ({ ...s, busy: null }));
    } catch (error) {
      if (signInAgain(error)) return;
      setSave((s) => ({ ...s, busy: null, error: messageOf(error) }));
    }
  }, [key, setIssues, signInAgain]);

  /** Deploys the saved draft as the new active version; a refusal lists the issues that block it. */
  const activateNow = useCallback(async () => {
    await saveNow();
    setSave((s) => ({ ...s, busy: 'activating', error: null }));
    try {
      const result = await activate(key, revision.current);
      setSave((s) => ({ ...s, busy: null, activated: result.version, activeVersion: result.active_version }));
      const orchestration = await getOrchestration(key).catch(() => null);
      if (orchestration)
        setSave((s) => ({ ...s, versions: orchestration.versions, activeVersion: orchestration.active_version }));
    } catch (error) {
      if (signInAgain(error)) return;
      const issues = error instanceof ApiError ? issueSchema.array().safeParse(error.details) : null;
      if (issues?.success) {
        checkedJson.current = savedJson.current;
        setIssues(issues.data);
      }
      setSave((s) => ({ ...s, busy: null, error: messageOf(error) }));
    }
  }, [key, saveNow, setIssues, signInAgain]);

  return { status, save, saveNow, validateNow, activateNow };
}
