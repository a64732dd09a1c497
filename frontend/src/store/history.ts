/**
 * What undo/redo keeps: the document's parts, not how the canvas shows them.
 * Selection, dragging and measured sizes change without making a history entry.
 */
import type { DocumentMeta } from '../lib/document-schema';
import type { FlowEdge, FlowNode } from '../lib/document';

export type HistoryState = { meta: DocumentMeta; nodes: FlowNode[]; edges: FlowEdge[] };

export const HISTORY_LIMIT = 100;

const VIEW_ONLY = new Set(['selected', 'dragging', 'measured', 'resizing']);

function sameExceptView(a: object, b: object): boolean {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) {
    if (VIEW_ONLY.has(key) || left[key] === right[key]) continue;
    if (key === 'position') {
      const p = left[key] as { x: number; y: number } | undefined;
      const q = right[key] as { x: number; y: number } | undefined;
      if (p && q && p.x === q.x && p.y === q.y) continue;
    }
    return false;
  }
  return true;
}

function sameList(a: readonly object[], b: readonly object[]): boolean {
  return (
    a === b || (a.length === b.length && a.every((item, i) => item === b[i] || sameExceptView(item, b[i] as object)))
  );
}

export function sameHistoryState(a: HistoryState, b: HistoryState): boolean {
  return a.meta === b.meta && sameList(a.nodes, b.nodes) && sameList(a.edges, b.edges);
}
