/** Whether the draft on the canvas differs from the draft as last loaded or saved. */
import { useEffect, useMemo } from 'react';

import { canonicalJson, flowToDocument } from '../lib/document';
import { useFlowStore } from '../store/use-flow-store';
import { useViewStore } from '../store/view-store';

export function useHasChanges(savedJson: string): boolean {
  const meta = useFlowStore((s) => s.meta);
  const nodes = useFlowStore((s) => s.nodes);
  const edges = useFlowStore((s) => s.edges);
  const isDraft = useViewStore((s) => s.view.mode === 'draft');
  return useMemo(
    () => isDraft && savedJson !== '' && canonicalJson(flowToDocument({ meta, nodes, edges })) !== savedJson,
    [isDraft, meta, nodes, edges, savedJson],
  );
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
