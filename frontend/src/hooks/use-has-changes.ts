/**
 * Whether the draft on the canvas differs from the draft as last loaded or saved.
 *
 * Comparing means the document's canonical JSON (tens of milliseconds for 500 nodes), so
 * it is not done on every change of the store: never for a change the history ignores
 * (selection, measuring, a drag's moves, see store/history.ts); at once for the first
 * change after a save (the toolbar says so straight away); and otherwise a moment after
 * the last change, once no node is being dragged (the answer can only go back to false,
 * by undoing to the saved draft).
 */
import { useEffect, useState } from 'react';

import { canonicalJson, flowToDocument } from '../lib/document';
import { sameHistoryState, type HistoryState } from '../store/history';
import { flowStore } from '../store/use-flow-store';
import { useViewStore } from '../store/view-store';

/** How long after the last change a draft with changes is compared again. */
export const RECHECK_DELAY_MS = 300;

function documentParts(): HistoryState {
  const { meta, nodes, edges } = flowStore.getState();
  return { meta, nodes, edges };
}

/** A node is being dragged or resized: its moves are one change, compared once it ends. */
function gestureUnderWay(): boolean {
  return flowStore.getState().nodes.some((n) => n.dragging || n.resizing);
}

export function useHasChanges(savedJson: string): boolean {
  const isDraft = useViewStore((s) => s.view.mode === 'draft');
  const [changed, setChanged] = useState(false);
  useEffect(() => {
    // This effect keeps `changed` in step with an outside store (flowStore's subscription
    // below): a reset and a first comparison as it starts are that work, not derived state.
    if (!isDraft || savedJson === '') {
      // eslint-disable-next-line react-hooks/set-state-in-effect -- see above
      setChanged(false);
      return undefined;
    }
    let checked = documentParts();
    let result = canonicalJson(flowToDocument(checked)) !== savedJson;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setChanged(result);
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(check, RECHECK_DELAY_MS);
    };
    const check = () => {
      timer = undefined;
      if (gestureUnderWay()) {
        later();
        return;
      }
      checked = documentParts();
      result = canonicalJson(flowToDocument(checked)) !== savedJson;
      setChanged(result);
    };
    const unsubscribe = flowStore.subscribe((state, previous) => {
      if (state.meta === previous.meta && state.nodes === previous.nodes && state.edges === previous.edges) return;
      if (timer === undefined && sameHistoryState(checked, state)) return;
      if (result || gestureUnderWay()) later();
      else check();
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [isDraft, savedJson]);
  return isDraft && savedJson !== '' && changed;
}

/** The browser asks before leaving the page while `unsaved` holds. */
export function useWarnBeforeLeaving(unsaved: boolean): void {
  useEffect(() => {
    if (!unsaved) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = ''; // older browsers show their prompt only with this
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [unsaved]);
}
