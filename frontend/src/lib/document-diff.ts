/**
 * What changed between two orchestration documents: nodes and edges added, removed
 * or changed (any field but `ui`: moving a node is not a change of the process), and
 * the top-level fields that differ. {@link mergeForDiff} builds the one document the
 * canvas draws for a comparison: the newer one plus what the older one had and lost.
 */
import { canonicalJson } from './document';
import type { DocumentEdge, DocumentNode, OrchestrationDocument } from './document-schema';

export type DiffStatus = 'added' | 'removed' | 'changed';

export type DocumentDiff = {
  nodes: Record<string, DiffStatus>;
  edges: Record<string, DiffStatus>;
  /** For a changed node: which of its fields differ. */
  nodeFields: Record<string, string[]>;
  /** Top-level fields (label, trigger, inputs…) that differ. */
  meta: string[];
};

function withoutUi<T extends { ui?: unknown }>(item: T): Omit<T, 'ui'> {
  const { ui: _ui, ...rest } = item;
  return rest;
}

function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => k !== 'ui' && canonicalJson(before[k]) !== canonicalJson(after[k])).sort();
}

function compare<T extends { id: string; ui?: unknown }>(
  before: readonly T[],
  after: readonly T[],
): { status: Record<string, DiffStatus>; fields: Record<string, string[]> } {
  const status: Record<string, DiffStatus> = {};
  const fields: Record<string, string[]> = {};
  const old = new Map(before.map((item) => [item.id, item]));
  const now = new Map(after.map((item) => [item.id, item]));
  for (const [id, item] of now) {
    const previous = old.get(id);
    if (!previous) status[id] = 'added';
    else if (canonicalJson(withoutUi(previous)) !== canonicalJson(withoutUi(item))) {
      status[id] = 'changed';
      fields[id] = changedKeys(previous, item);
    }
  }
  for (const id of old.keys()) if (!now.has(id)) status[id] = 'removed';
  return { status, fields };
}

export function diffDocuments(before: OrchestrationDocument, after: OrchestrationDocument): DocumentDiff {
  const nodes = compare<DocumentNode>(before.nodes, after.nodes);
  const edges = compare<DocumentEdge>(before.edges, after.edges);
  const { nodes: _n, edges: _e, ...metaBefore } = before;
  const { nodes: _n2, edges: _e2, ...metaAfter } = after;
  return {
    nodes: nodes.status,
    edges: edges.status,
    nodeFields: nodes.fields,
    meta: changedKeys(metaBefore, metaAfter),
  };
}

/** `after`, plus the nodes and edges only `before` has, so that the canvas can show them as removed. */
export function mergeForDiff(before: OrchestrationDocument, after: OrchestrationDocument): OrchestrationDocument {
  const ids = new Set(after.nodes.map((n) => n.id));
  const removedNodes = before.nodes.filter((n) => !ids.has(n.id));
  const nodeIds = new Set([...ids, ...removedNodes.map((n) => n.id)]);
  const edgeIds = new Set(after.edges.map((e) => e.id));
  const removedEdges = before.edges.filter((e) => !edgeIds.has(e.id) && nodeIds.has(e.source) && nodeIds.has(e.target));
  return { ...after, nodes: [...after.nodes, ...removedNodes], edges: [...after.edges, ...removedEdges] };
}

export function countChanges(diff: DocumentDiff): Record<DiffStatus, number> {
  const counts: Record<DiffStatus, number> = { added: 0, removed: 0, changed: 0 };
  for (const status of Object.values(diff.nodes)) counts[status] += 1;
  return counts;
}
