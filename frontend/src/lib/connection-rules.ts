/**
 * Which edges the canvas lets an admin draw (FORMAT.md, "Edges" and the node types).
 * The server checks the whole graph on every save; these rules only stop a drag
 * that could never be right.
 */
import type { Connection } from '@xyflow/react';

import { DEFAULT_OUTCOME, ERROR_HANDLE, isStepType, type FlowEdge, type FlowNode } from './document';

/** Why this connection may not be drawn, or null when it may. */
export function connectionProblem(
  connection: Connection | FlowEdge,
  nodes: readonly FlowNode[],
  edges: readonly FlowEdge[],
): string | null {
  const source = nodes.find((n) => n.id === connection.source);
  const target = nodes.find((n) => n.id === connection.target);
  if (!source || !target) return 'Both ends must be on the canvas.';
  if (isStepType(source.type) || isStepType(target.type)) {
    return 'Steps have no edges: they run inside their stage.';
  }
  if (source.type === 'end') return 'An end has no outgoing edge.';
  if (target.type === 'start') return 'Nothing leads into start.';
  if (source.id === target.id) return 'A node cannot lead to itself.';

  const handle = connection.sourceHandle ?? null;
  const outgoing = edges.filter(
    (e) => e.source === source.id && e.id !== ('id' in connection ? connection.id : undefined),
  );
  switch (source.type) {
    case 'start':
      return outgoing.length > 0 ? 'Start has one outgoing edge.' : null;
    case 'stage': {
      const isError = handle === ERROR_HANDLE;
      const taken = outgoing.some((e) => (e.sourceHandle === ERROR_HANDLE) === isError);
      if (!taken) return null;
      return isError
        ? 'A stage has at most one error edge.'
        : 'A stage has one outgoing edge (plus at most one error edge).';
    }
    case 'decision': {
      const outcomes = new Set([...(source.data.outcomes ?? []).map((o) => o.id), DEFAULT_OUTCOME]);
      if (handle === null || !outcomes.has(handle)) return 'Draw a decision edge from one of its outcomes.';
      return outgoing.some((e) => e.sourceHandle === handle) ? `Outcome ${handle} already has an edge.` : null;
    }
    default:
      return null;
  }
}

export function isValidConnection(
  connection: Connection | FlowEdge,
  nodes: readonly FlowNode[],
  edges: readonly FlowEdge[],
): boolean {
  return connectionProblem(connection, nodes, edges) === null;
}
