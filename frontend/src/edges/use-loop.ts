/** Whether an edge is a back edge (a loop) and, if so, the path that draws it under the nodes it passes. */
import { useStore, type InternalNode, type ReactFlowState, type XYPosition } from '@xyflow/react';

import { backEdgesOf, loopFloor, loopPath, type Box } from '../lib/back-edges';

function boxOf(node: InternalNode): Box {
  const { x, y } = node.internals.positionAbsolute;
  return { x, y, width: node.measured.width ?? node.width ?? 0, height: node.measured.height ?? node.height ?? 0 };
}

const boxesOf = new WeakMap<readonly unknown[], Box[]>();

/** The top-level nodes' boxes, gathered once per nodes array (every loop asks on every change). */
function topLevelBoxes(state: ReactFlowState): Box[] {
  let boxes = boxesOf.get(state.nodes);
  if (boxes === undefined) {
    boxes = [];
    for (const node of state.nodeLookup.values()) if (node.parentId === undefined) boxes.push(boxOf(node));
    boxesOf.set(state.nodes, boxes);
  }
  return boxes;
}

/** The y the loop runs along: a number, so the edge re-renders only when it moves. */
function floorOf(state: ReactFlowState, source: string, target: string): number | null {
  const from = state.nodeLookup.get(source);
  const to = state.nodeLookup.get(target);
  return from && to ? loopFloor(boxOf(from), boxOf(to), topLevelBoxes(state)) : null;
}

/**
 * For a back edge, its loop: the path and where its label goes (null when `drawn` is false:
 * the edge has a route of its own); null for any other edge.
 */
export function useLoop(
  id: string,
  source: string,
  target: string,
  from: XYPosition,
  to: XYPosition,
  drawn = true,
): { path: [string, number, number] | null } | null {
  const back = useStore((s) => backEdgesOf(s.edges).has(id));
  const floor = useStore((s) => (back && drawn ? floorOf(s, source, target) : null));
  if (!back) return null;
  return { path: floor === null ? null : loopPath(from, to, floor) };
}
