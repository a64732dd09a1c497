/**
 * Live figures drawn over the canvas (the monitor's overlay, DESIGN §5), keyed by node id.
 *
 * Kept apart from the flow store on purpose: the live stream sends a delta every
 * few seconds, and writing it into `nodes` would re-render every node and fill the
 * undo history. A node reads only its own figures with `useNodeFigures(id)`.
 * The websocket client (/ws/live) that fills this store is still to come.
 */
import { create } from 'zustand';

export type NodeFigures = {
  active: number;
  waiting: number;
  completed: number;
  error: number;
  overdue: number;
  p50Seconds?: number;
  p95Seconds?: number;
};

type OverlayState = {
  /** The stream's sequence number the figures are at (to resume with `?after=`). */
  sequence: number | null;
  figures: Readonly<Record<string, NodeFigures>>;
  replace: (sequence: number, figures: Record<string, NodeFigures>) => void;
  merge: (sequence: number, changed: Record<string, NodeFigures>) => void;
  clear: () => void;
};

export const useOverlayStore = create<OverlayState>()((set) => ({
  sequence: null,
  figures: {},
  replace: (sequence, figures) => set({ sequence, figures }),
  merge: (sequence, changed) => set((s) => ({ sequence, figures: { ...s.figures, ...changed } })),
  clear: () => set({ sequence: null, figures: {} }),
}));

/** One node's figures; the node re-renders only when they change. */
export function useNodeFigures(nodeId: string): NodeFigures | undefined {
  return useOverlayStore((s) => s.figures[nodeId]);
}
