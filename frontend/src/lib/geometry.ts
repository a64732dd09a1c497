/** Where nodes are on the canvas: absolute positions, sizes, the stage under a point. */
import type { XYPosition } from '@xyflow/react';

import {
  STAGE_WIDTH,
  STEP_HEIGHT,
  STEP_WIDTH,
  isStage,
  stageHeightFor,
  type FlowNode,
  type StageNode,
} from './document';

type Size = { width: number; height: number };

/*
 * A document opened without `ui` is laid out before React Flow has measured a node, and a
 * layout must not depend on whether it has (the same graph lays out the same, so a flow
 * saved as laid out gets its routes back): the layout takes the sizes below for start, end
 * and decisions. styles.css gives a decision a fixed width and fixed rows (a label too long
 * ends in an ellipsis); a terminal is as wide as its label, measured with a canvas's text
 * metrics where there is one (else estimated), give or take an issue mark.
 */
export const TERMINAL_HEIGHT = 56;
export const DECISION_WIDTH = 200;
/** Above a decision's outcomes: border, padding, the kind's row, the label's row, the list's margin. */
export const DECISION_TOP = 1.5 + 6 + 16 + 20 + 4;
export const DECISION_ROW = 22;
/** Below its outcomes: padding and border. */
const DECISION_BOTTOM = 6 + 1.5;
/** A terminal's label font (styles.css: `.node__label` in `.node`) and what surrounds it: padding and the end's border. */
const TERMINAL_FONT = '600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const TERMINAL_ROOM = 2 * 12 + 2 * 3;

/** Where the handle of a decision's `index`th outcome is (the last one, `default`, at `outcomes`): y from its top. */
export function outcomeHandleY(index: number): number {
  return DECISION_TOP + index * DECISION_ROW + DECISION_ROW / 2;
}

let metrics: CanvasRenderingContext2D | null | undefined;

function textWidth(text: string): number {
  if (metrics === undefined) {
    try {
      metrics = typeof document === 'undefined' ? null : document.createElement('canvas').getContext('2d');
    } catch {
      metrics = null; // a test DOM without canvas
    }
    if (metrics) metrics.font = TERMINAL_FONT;
  }
  return metrics ? metrics.measureText(text).width : text.length * 8;
}

/** The size the layout gives a node of fixed or text-made size (start, end, a decision); undefined for others. */
export function layoutSizeOf(node: FlowNode): Size | undefined {
  switch (node.type) {
    case 'start':
    case 'end':
      return {
        width: Math.max(
          56,
          Math.ceil(textWidth(node.data.label || (node.type === 'start' ? 'Start' : 'End')) + TERMINAL_ROOM),
        ),
        height: TERMINAL_HEIGHT,
      };
    case 'decision':
      // Its outcomes, then "Otherwise".
      return {
        width: DECISION_WIDTH,
        height: DECISION_TOP + ((node.data.outcomes?.length ?? 0) + 1) * DECISION_ROW + DECISION_BOTTOM,
      };
    default:
      return undefined;
  }
}

function fallbackSize(node: FlowNode): Size {
  return (
    layoutSizeOf(node) ??
    (node.type === 'stage'
      ? { width: STAGE_WIDTH, height: stageHeightFor(1) }
      : { width: STEP_WIDTH, height: STEP_HEIGHT })
  );
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
