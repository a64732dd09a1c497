/**
 * The path one run took, drawn over the read-only canvas of the run detail: kept
 * apart from `nodes` like the monitor's overlay, read per node and per edge.
 */
import { create } from 'zustand';

import type { PathNodeState, RunPath } from '../lib/run-events';

type RunPathState = {
  path: RunPath | null;
  setPath: (path: RunPath | null) => void;
};

export const useRunPathStore = create<RunPathState>()((set) => ({
  path: null,
  setPath: (path) => set({ path }),
}));

export function usePathNode(nodeId: string): { visits: number; state: PathNodeState } | undefined {
  return useRunPathStore((s) => s.path?.nodes[nodeId]);
}

export function usePathEdge(edgeId: string): number | undefined {
  return useRunPathStore((s) => (s.path ? (s.path.edges[edgeId] ?? 0) : undefined));
}

export function usePathOutcomes(nodeId: string): string[] | undefined {
  return useRunPathStore((s) => s.path?.outcomes[nodeId]);
}
