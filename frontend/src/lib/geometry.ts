/** Where nodes are on the canvas: absolute positions, sizes, the stage under a point. */
import type { XYPosition } from '@xyflow/react';

import { STAGE_WIDTH, STEP_HEIGHT, STEP_WIDTH, isStage, stageHeightFor, type FlowNode, type StageNode } from './document';

type Size = { width: number; height: number };

const FALLBACK: Record<FlowNode['type'], Size> = {
  start: { width: 56, height: 56 },
  end: { width: 56, height: 56 },
  decision: { width: 160, height: 72 },
  stage: { width: STAGE_WIDTH, height: stageHeightFor(1) },
  interactive: { width: STEP_WIDTH, height: STEP_HEIGHT },
  background: { width: STEP_WIDTH, height: STEP_HEIGHT },
  wait: { width: STEP_WIDTH, height: STEP_HEIGHT },
};

/** Its set size, else the size React Flow measured, else the usual size of its type. */
export function sizeOf(node: FlowNode): Size {
  const fallback = FALLBACK[node.type];
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
