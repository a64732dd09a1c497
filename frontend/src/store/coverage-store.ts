/**
 * The Tests panel's coverage overlay on the builder's canvas, kept apart from `nodes`
 * like the monitor's live figures: a node, an edge or a decision's outcomes read their
 * own entry with a narrow selector. `overlay` is null while the overlay is off.
 */
import { create } from 'zustand';

import type { CoverageOverlay, ElementCoverage } from '../lib/coverage';

type CoverageStoreState = {
  overlay: CoverageOverlay | null;
  setOverlay: (overlay: CoverageOverlay | null) => void;
};

export const useCoverageStore = create<CoverageStoreState>()((set) => ({
  overlay: null,
  setOverlay: (overlay) => set({ overlay }),
}));

export function useNodeCoverage(nodeId: string): ElementCoverage | undefined {
  return useCoverageStore((s) => s.overlay?.nodes[nodeId]);
}

export function useEdgeCoverage(edgeId: string): ElementCoverage | undefined {
  return useCoverageStore((s) => s.overlay?.edges[edgeId]);
}

/** A decision's outcomes (outcome id → coverage), undefined while the overlay is off. */
export function useOutcomesCoverage(decisionId: string): Readonly<Record<string, ElementCoverage>> | undefined {
  return useCoverageStore((s) => s.overlay?.outcomes[decisionId]);
}
