/**
 * Auto-layout with elkjs: the graph left to right (start → stages and decisions → ends),
 * each stage's steps top to bottom in the order their `start.after` gives, each stage
 * sized to hold them. Used when a document has no `ui` yet, and by "Tidy up".
 */
import type { ELK, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';

import { STAGE_HEADER, STAGE_PADDING, STAGE_WIDTH, isStage, isStep, type FlowEdge, type FlowNode } from './document';
import { sizeOf } from './geometry';

/** Where a node goes: its position (relative to its stage for a step) and, for a stage, its size. */
export type Placement = { x: number; y: number; width?: number; height?: number };

let elk: Promise<ELK> | null = null;

/** elkjs is large (about 1.4 MB): it loads the first time a layout is needed. */
function loadElk(): Promise<ELK> {
  elk ??= import('elkjs/lib/elk.bundled.js').then(({ default: Elk }) => new Elk());
  return elk;
}

const GRAPH_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.layered.spacing.nodeNodeBetweenLayers': '96',
  'elk.spacing.nodeNode': '48',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
};

const STAGE_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.padding': `[top=${STAGE_HEADER},left=${STAGE_PADDING},bottom=${STAGE_PADDING},right=${STAGE_PADDING}]`,
  'elk.spacing.nodeNode': '12',
  'elk.layered.spacing.nodeNodeBetweenLayers': '12',
  'elk.nodeSize.constraints': 'MINIMUM_SIZE',
  'elk.nodeSize.minimum': `(${STAGE_WIDTH}, ${STAGE_HEADER + STAGE_PADDING})`,
};

function stepEdges(steps: readonly FlowNode[]): ElkExtendedEdge[] {
  const ids = new Set(steps.map((s) => s.id));
  return steps.flatMap((step) => {
    if (!isStep(step) || step.data.start?.when !== 'after') return [];
    return (step.data.start.steps ?? [])
      .filter((before) => ids.has(before))
      .map((before) => ({ id: `after_${before}_${step.id}`, sources: [before], targets: [step.id] }));
  });
}

/** Where every node goes (steps relative to their stage) and how big each stage is. */
export async function layout(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): Promise<Map<string, Placement>> {
  const topLevel = nodes.filter((n) => n.parentId === undefined);
  const ids = new Set(topLevel.map((n) => n.id));
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: GRAPH_OPTIONS,
    children: topLevel.map((node): ElkNode => {
      if (isStage(node)) {
        const steps = nodes.filter((n) => n.parentId === node.id);
        if (steps.length > 0) {
          return {
            id: node.id,
            layoutOptions: STAGE_OPTIONS,
            children: steps.map((step) => ({ id: step.id, ...sizeOf(step) })),
            edges: stepEdges(steps),
          };
        }
      }
      return { id: node.id, ...sizeOf(node) };
    }),
    edges: edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };

  const result = await (await loadElk()).layout(graph);
  const placements = new Map<string, Placement>();
  for (const child of result.children ?? []) {
    placements.set(child.id, { x: child.x ?? 0, y: child.y ?? 0, width: child.width, height: child.height });
    for (const step of child.children ?? []) placements.set(step.id, { x: step.x ?? 0, y: step.y ?? 0 });
  }
  return placements;
}
