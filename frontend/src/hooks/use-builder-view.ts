/**
 * Which document the builder's canvas shows, from the URL (a deep link that survives
 * a reload): the draft, `?version=<n>` (an earlier version, read only) or
 * `?compare=<a>..<b>` (two versions or a version and the draft, the changes
 * highlighted). The draft is put aside while another document is on the canvas and
 * comes back, with its undo history, when the admin returns to it.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';

import { getVersion } from '../lib/api';
import { needsLayout, flowToDocument } from '../lib/document';
import { diffDocuments, mergeForDiff } from '../lib/document-diff';
import type { OrchestrationDocument } from '../lib/document-schema';
import { layout } from '../lib/layout';
import type { HistoryState } from '../store/history';
import { flowStore } from '../store/use-flow-store';
import { useViewStore, type BuilderView, type VersionRef } from '../store/view-store';

type Stash = { state: HistoryState; past: Partial<HistoryState>[]; future: Partial<HistoryState>[] };

function parseRef(text: string | undefined): VersionRef | null {
  if (text === 'draft') return 'draft';
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** The view the URL asks for (a malformed one is the draft). */
export function viewFromParams(params: URLSearchParams): BuilderView {
  const version = parseRef(params.get('version') ?? undefined);
  if (typeof version === 'number') return { mode: 'version', version };
  const [a, b] = (params.get('compare') ?? '').split('..');
  const from = parseRef(a);
  const to = parseRef(b);
  if (from !== null && to !== null && from !== to) return { mode: 'diff', from, to };
  return { mode: 'draft' };
}

export function paramsForView(view: BuilderView): Record<string, string> {
  if (view.mode === 'version') return { version: String(view.version) };
  if (view.mode === 'diff') return { compare: `${view.from}..${view.to}` };
  return {};
}

async function show(document: OrchestrationDocument): Promise<void> {
  flowStore.getState().load(document);
  if (needsLayout(document)) {
    const { nodes, edges } = flowStore.getState();
    flowStore.getState().applyLayout(await layout(nodes, edges));
    flowStore.temporal.getState().clear();
  }
}

export function useBuilderView(key: string, ready: boolean, beforeLeavingDraft: () => Promise<void>) {
  const [params, setParams] = useSearchParams();
  const wanted = viewFromParams(params);
  const wantedKey = JSON.stringify(wanted);
  const stash = useRef<Stash | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const setView = useViewStore((s) => s.setView);

  useEffect(() => {
    if (!ready) return;
    const view = JSON.parse(wantedKey) as BuilderView;
    let cancelled = false;
    // A view switched to starts without the last one's error. The switch is this effect's work
    // (a stashed draft restored, or the view loaded), so the reset belongs here, not in a render.
    // eslint-disable-next-line react-hooks/set-state-in-effect -- part of the switch, see above
    setError(null);

    if (view.mode === 'draft') {
      const kept = stash.current;
      if (kept) {
        flowStore.setState(kept.state);
        flowStore.temporal.setState({ pastStates: kept.past, futureStates: kept.future });
        stash.current = null;
      }
      setView(view);
      return;
    }

    void (async () => {
      setLoading(true);
      try {
        if (!stash.current) {
          await beforeLeavingDraft();
          const { meta, nodes, edges } = flowStore.getState();
          const { pastStates, futureStates } = flowStore.temporal.getState();
          stash.current = { state: { meta, nodes, edges }, past: pastStates, future: futureStates };
        }
        const draft = flowToDocument(stash.current.state);
        const fetchRef = async (ref: VersionRef) => (ref === 'draft' ? draft : (await getVersion(key, ref)).document);
        if (view.mode === 'version') {
          const document = await fetchRef(view.version);
          if (cancelled) return;
          setView(view);
          await show(document);
        } else {
          const [before, after] = await Promise.all([fetchRef(view.from), fetchRef(view.to)]);
          if (cancelled) return;
          setView(view, diffDocuments(before, after));
          await show(mergeForDiff(before, after));
        }
      } catch (failure) {
        if (!cancelled) setError(failure instanceof Error ? failure.message : String(failure));
      } finally {
        if (!cancelled) setLoading(false);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [key, ready, wantedKey, setView, beforeLeavingDraft]);

  // Leaving the page: the next builder starts on a draft.
  useEffect(() => () => useViewStore.getState().setView({ mode: 'draft' }), []);

  const go = useCallback((view: BuilderView) => setParams(paramsForView(view)), [setParams]);
  return { wanted, loading, error, go };
}
