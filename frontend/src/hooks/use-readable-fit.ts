/** Fits the canvas readably (lib/fit.ts): returns the fit, for the Fit View control and the moments that fit. */
import { useNodesInitialized, useReactFlow, useStoreApi } from '@xyflow/react';
import { useCallback, useLayoutEffect, useState } from 'react';

import type { FlowEdge, FlowNode } from '../lib/document';
import { readableViewport } from '../lib/fit';

export function useReadableFit(): (options?: { duration?: number }) => void {
  const { getNodes, getNodesBounds, setViewport } = useReactFlow<FlowNode, FlowEdge>();
  const store = useStoreApi<FlowNode, FlowEdge>();
  return useCallback(
    (options) => {
      const nodes = getNodes();
      const { width, height } = store.getState();
      if (nodes.length === 0 || width === 0 || height === 0) return;
      void setViewport(readableViewport(getNodesBounds(nodes), width, height), options);
    },
    [getNodes, getNodesBounds, setViewport, store],
  );
}

/**
 * Fits readably once React Flow has measured the nodes, before the browser paints them (no
 * frame at zoom 1 first); returns whether it has. React Flow's own `fitView` would shrink a
 * long flow until nothing reads.
 */
export function useFitWhenMeasured(): boolean {
  const initialized = useNodesInitialized();
  const fit = useReadableFit();
  const [fitted, setFitted] = useState(false);
  useLayoutEffect(() => {
    if (!initialized || fitted) return;
    fit();
    // Records what was just done to React Flow's viewport, before the paint: a layout
    // effect's own work, not state that a render could derive.
    // eslint-disable-next-line react-hooks/set-state-in-effect -- see above
    setFitted(true);
  }, [initialized, fitted, fit]);
  return fitted;
}
