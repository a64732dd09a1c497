/** A version's document as read-only canvas nodes and edges (the monitor and run detail draw it; nothing edits it). */
import { documentToFlow, needsLayout, type FlowEdge, type FlowNode } from './document';
import type { OrchestrationDocument } from './document-schema';
import { layout } from './layout';
import { useRouteStore } from '../store/route-store';

export type ReadOnlyFlow = {
  nodes: FlowNode[];
  edges: FlowEdge[];
  stages: Set<string>;
  stageOf: Record<string, string>;
};

export async function readOnlyFlow(document: OrchestrationDocument): Promise<ReadOnlyFlow> {
  let { nodes, edges } = documentToFlow(document);
  if (needsLayout(document)) {
    const { placements, routes } = await layout(nodes, edges);
    useRouteStore.getState().keep(routes); // the canvas's edges draw them while the nodes stay put (always, here)
    nodes = nodes.map((node) => {
      const placement = placements.get(node.id);
      if (!placement) return node;
      const { x, y, width, height } = placement;
      return {
        ...node,
        position: { x, y },
        ...(node.type === 'stage' && width !== undefined ? { width, height } : {}),
      };
    });
  }
  nodes = nodes.map((n) => ({ ...n, draggable: false, connectable: false, deletable: false }));
  edges = edges.map((e) => ({ ...e, deletable: false, selectable: false }));
  const stages = new Set(nodes.filter((n) => n.type === 'stage').map((n) => n.id));
  const stageOf: Record<string, string> = {};
  for (const node of nodes) if (node.parentId) stageOf[node.id] = node.parentId;
  return { nodes, edges, stages, stageOf };
}
