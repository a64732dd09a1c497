/**
 * Live figures drawn over the canvas (the monitor's overlay, ARCHITECTURE §5), keyed by node
 * and edge id, with the heat grades computed from them.
 *
 * Kept apart from the flow store on purpose: the live stream sends up to twenty
 * messages a second, and writing them into `nodes` would re-render every node and
 * fill the undo history. A node reads only its own figures with `useNodeFigures(id)`
 * (and `useNodeHeat(id)`), an edge its own count with `useEdgeTaken(id)`.
 */
import { create } from 'zustand';

import { gradeHeat, type Bottleneck, type NodeFlag } from '../lib/heat';
import { applyLiveMessage, type EdgeFigures, type LiveMessage, type NodeFigures } from '../lib/live-figures';

export type { NodeFigures } from '../lib/live-figures';

type Structure = { stages: ReadonlySet<string>; stageOf: Readonly<Record<string, string>> };

type OverlayState = {
  /** The stream's sequence number the figures are at (to resume with `?after=`). */
  sequence: number | null;
  figures: Readonly<Record<string, NodeFigures>>;
  edges: Readonly<Record<string, EdgeFigures>>;
  heat: Readonly<Record<string, number>>;
  bottleneck: Bottleneck | null;
  /** Nodes with runs in error or stuck (overdue) work, time spent or not. */
  flags: Readonly<Record<string, NodeFlag>>;
  busiestEdge: number;
  structure: Structure;
  /** Which stages and steps the canvas shows (for the bottleneck); set when a version is loaded. */
  setStructure: (structure: Structure) => void;
  apply: (message: LiveMessage) => void;
  clear: () => void;
};

const NO_STRUCTURE: Structure = { stages: new Set(), stageOf: {} };

export const useOverlayStore = create<OverlayState>()((set, get) => ({
  sequence: null,
  figures: {},
  edges: {},
  heat: {},
  bottleneck: null,
  flags: {},
  busiestEdge: 0,
  structure: NO_STRUCTURE,
  setStructure: (structure) => {
    const { grades, bottleneck, flags } = gradeHeat(get().figures, structure);
    set({ structure, heat: grades, bottleneck, flags });
  },
  apply: (message) => {
    const s = get();
    const next = applyLiveMessage({ seq: s.sequence, nodes: s.figures, edges: s.edges }, message);
    if (next.seq === s.sequence && next.nodes === s.figures) return;
    const { grades, bottleneck, flags } = gradeHeat(next.nodes, s.structure);
    const busiestEdge = Math.max(0, ...Object.values(next.edges).map((e) => e.taken));
    set({ sequence: next.seq, figures: next.nodes, edges: next.edges, heat: grades, bottleneck, flags, busiestEdge });
  },
  clear: () => set({ sequence: null, figures: {}, edges: {}, heat: {}, bottleneck: null, flags: {}, busiestEdge: 0 }),
}));

/** One node's figures; the node re-renders only when they change. */
export function useNodeFigures(nodeId: string): NodeFigures | undefined {
  return useOverlayStore((s) => s.figures[nodeId]);
}

/** One node's heat grade (0–5), undefined when the overlay is off. */
export function useNodeHeat(nodeId: string): number | undefined {
  return useOverlayStore((s) => s.heat[nodeId]);
}

/** Whether a node is flagged for ops (runs in error, or stuck with overdue work). */
export function useNodeFlag(nodeId: string): NodeFlag | undefined {
  return useOverlayStore((s) => s.flags[nodeId]);
}

export function useIsBottleneck(nodeId: string): boolean {
  return useOverlayStore((s) => s.bottleneck?.node === nodeId || s.bottleneck?.step === nodeId);
}

/** How often an edge was taken, undefined when the overlay is off. */
export function useEdgeTaken(edgeId: string): number | undefined {
  return useOverlayStore((s) => s.edges[edgeId]?.taken);
}
