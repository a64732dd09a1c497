/** Where nodes are on the canvas: absolute positions, sizes, the stage under a point. */
import type { XYPosition } from '@xyflow/react';

import { STAGE_WIDTH, STEP_HEIGHT, STEP_WIDTH, isStage, stageHeightFor, type FlowNode, type StageNode } from './document';

type Size = { width: number; height: number };

/*
 * A document opened without `ui` is laid out before React Flow has measured a node, so
 * every node's size must be known beforehand: styles.css gives terminals and decisions
 * fixed widths and a decision fixed rows (labels too long end in an ellipsis). These are
 * those sizes; the edges the layout routes start at the handles they place.
 */
export const TERMINAL_SIZE: Size = { width: 128, height: 56 };
export const DECISION_WIDTH = 200;
/** Above a decision's outcomes: border, padding, the kind's row, the label's row, the list's margin. */
export const DECISION_TOP = 1.5 + 6 + 16 + 20 + 4;
export const DECISION_ROW = 22;
/** Below its outcomes: padding and border. */
const DECISION_BOTTOM = 6 + 1.5;

/** Where the handle of a decision's `index`th outcome is (the last one, `default`, at `outcomes`): y from its top. */
export function outcomeHandleY(index: number): number {
  return DECISION_TOP + index * DECISION_ROW + DECISION_ROW / 2;
}

function fallbackSize(node: FlowNode): Size {
  switch (node.type) {
    case 'start':
    case 'end':
      return TERMINAL_SIZE;
    case 'decision':
      // Its outcomes, then "Otherwise".
      return { width: DECISION_WIDTH, height: DECISION_TOP + ((node.data.outcomes?.length ?? 0) + 1) * DECISION_ROW + DECISION_BOTTOM };
    case 'stage':
      return { width: STAGE_WIDTH, height: stageHeightFor(1) };
    default:
      return { width: STEP_WIDTH, height: STEP_HEIGHT };
  }
}

/** Its set size, else the size React Flow measured, else the usual size of its type. */
export function sizeOf(node: FlowNode): Size {
  const fallback = fallbackSize(node);
  return {
    width: node.width ?? node.measured?.width ?? fallback.width,
    height: node.height ?? node.measured?.height ?? fallback.height,
  };
}

/** Position on the canvas (stages are top level; a step's position is relative to its stage). */
export function absolutePosition(node: FlowNode, nodes: readonly FlowNode[]): XYPosition {
  if (node.parentId === undefined) return node.position;
  const parent = nodes.find((n) => n.id === node.parentId);
  if (!parent) return node.position;
  const origin = absolutePosition(parent, nodes);
  return { x: origin.x + node.position.x, y: origin.y + node.position.y };
}

/** The topmost stage whose box holds `point`. */
export function stageAt(point: XYPosition, nodes: readonly FlowNode[]): StageNode | undefined {
  for (let i = nodes.length - 1; i >= 0; i -= 1) {
    const node = nodes[i];
    if (!isStage(node)) continue;
    const { width, height } = sizeOf(node);
    const { x, y } = node.position;
    if (point.x >= x && point.x <= x + width && point.y >= y && point.y <= y + height) return node;
  }
  return undefined;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), Math.max(min, max));
}
