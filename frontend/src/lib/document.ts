/**
 * The orchestration document ⇄ React Flow nodes and edges.
 *
 * - A node's canvas `type` is its document `type`; its `data` is the document node
 *   without `id`, `type`, `ui` geometry and (for steps) `stage`.
 * - Stages are parent nodes sized by `ui.width`/`ui.height`; steps are their children
 *   (`parentId` = the step's `stage`, `extent: 'parent'`), with `ui.x`/`ui.y` relative
 *   to the stage. Every other node's `ui.x`/`ui.y` is absolute.
 * - An edge's source handle says what the document says with `outcome` and `kind`:
 *   a decision's edges leave the handle of their outcome (`default` included), a
 *   stage's leave `next` or `error`, start's leave `next`.
 * - Anything the canvas does not use (other `ui` keys, unknown fields) is carried in
 *   `data` and written back unchanged.
 */
import type { Edge, Node, XYPosition } from '@xyflow/react';

import type {
  BackgroundData,
  DocumentMeta,
  DecisionData,
  DocumentEdge,
  DocumentNode,
  DocumentNodeType,
  EndData,
  InteractiveData,
  OrchestrationDocument,
  StageData,
  StartData,
  WaitData,
} from './document-schema';

export type StartNode = Node<StartData, 'start'>;
export type EndNode = Node<EndData, 'end'>;
export type StageNode = Node<StageData, 'stage'>;
export type InteractiveNode = Node<InteractiveData, 'interactive'>;
export type BackgroundNode = Node<BackgroundData, 'background'>;
export type WaitNode = Node<WaitData, 'wait'>;
export type DecisionNode = Node<DecisionData, 'decision'>;

export type StepNode = InteractiveNode | BackgroundNode | WaitNode;
export type FlowNode = StartNode | EndNode | StageNode | StepNode | DecisionNode;

/** A node's id, type and data, still paired by type (a plain Pick of the union would lose that). */
export type NodeContent<N extends FlowNode = FlowNode> = N extends FlowNode ? Pick<N, 'id' | 'type' | 'data'> : never;

/** An edge's `label`, other fields and `ui`; `outcome`/`kind` are its source handle. */
export type FlowEdgeData = { label?: string; ui?: Record<string, unknown>; [field: string]: unknown };
export type FlowEdge = Edge<FlowEdgeData>;

export type Flow = { meta: DocumentMeta; nodes: FlowNode[]; edges: FlowEdge[] };

export const STEP_TYPES = ['interactive', 'background', 'wait'] as const;
export type StepType = (typeof STEP_TYPES)[number];

/** Source handle ids. A decision's other handles are its outcome ids. */
export const NEXT_HANDLE = 'next';
export const ERROR_HANDLE = 'error';
export const DEFAULT_OUTCOME = 'default';

// Geometry the canvas uses when a document has no `ui` (the shipped templates).
export const STAGE_WIDTH = 320;
export const STAGE_HEADER = 56;
export const STEP_WIDTH = 280;
export const STEP_HEIGHT = 56;
export const STEP_GAP = 12;
export const STAGE_PADDING = 20;
const COLUMN_GAP = 120;

export function isStepType(type: string | undefined): type is StepType {
  return (STEP_TYPES as readonly string[]).includes(type ?? '');
}

export function isStep(node: FlowNode): node is StepNode {
  return isStepType(node.type);
}

export function isStage(node: FlowNode | undefined): node is StageNode {
  return node?.type === 'stage';
}

/** The height a stage needs to show `steps` stacked steps. */
export function stageHeightFor(steps: number): number {
  return STAGE_HEADER + Math.max(steps, 1) * (STEP_HEIGHT + STEP_GAP) + STAGE_PADDING;
}

type Geometry = { position?: XYPosition; width?: number; height?: number; extra?: Record<string, unknown> };

function splitUi(ui: Record<string, unknown> | undefined): Geometry {
  if (!ui) return {};
  const { x, y, width, height, ...extra } = ui;
  const geometry: Geometry = {};
  if (typeof x === 'number' && typeof y === 'number') geometry.position = { x, y };
  if (typeof width === 'number') geometry.width = width;
  if (typeof height === 'number') geometry.height = height;
  if (Object.keys(extra).length > 0) geometry.extra = extra;
  return geometry;
}

function withUi<T extends object>(
  data: T,
  extra: Record<string, unknown> | undefined,
): T & { ui?: Record<string, unknown> } {
  return extra ? { ...data, ui: extra } : data;
}

/** The stage a document step names (undefined for other nodes). */
function stageOf(node: DocumentNode): string | undefined {
  return node.type === 'interactive' || node.type === 'background' || node.type === 'wait' ? node.stage : undefined;
}

/** Document nodes in an order where every stage comes before its steps (React Flow needs it). */
function parentsFirst(nodes: DocumentNode[], stageIds: Set<string>): DocumentNode[] {
  const placed = new Set<string>();
  const waiting = new Map<string, DocumentNode[]>();
  const ordered: DocumentNode[] = [];
  for (const node of nodes) {
    const stage = stageOf(node);
    const parent = stage !== undefined && stageIds.has(stage) ? stage : undefined;
    if (parent !== undefined && !placed.has(parent)) {
      waiting.set(parent, [...(waiting.get(parent) ?? []), node]);
      continue;
    }
    ordered.push(node);
    placed.add(node.id);
    ordered.push(...(waiting.get(node.id) ?? []));
    waiting.delete(node.id);
  }
  return ordered;
}

/** React Flow nodes and edges for a document (positions from `ui`, or a simple default placement). */
export function documentToFlow(document: OrchestrationDocument): Flow {
  const { nodes: documentNodes, edges: documentEdges, ...meta } = document;
  const stageIds = new Set(documentNodes.filter((n) => n.type === 'stage').map((n) => n.id));
  const stepsPerStage = new Map<string, number>();
  for (const node of documentNodes) {
    const stage = stageOf(node);
    if (stage !== undefined) stepsPerStage.set(stage, (stepsPerStage.get(stage) ?? 0) + 1);
  }

  const placedSteps = new Map<string, number>();
  let column = 0;
  const nextColumn = (width: number): XYPosition => {
    const position = { x: column, y: 0 };
    column += width + COLUMN_GAP;
    return position;
  };

  const nodes = parentsFirst(documentNodes, stageIds).map((node): FlowNode => {
    const geometry = splitUi(node.ui);
    switch (node.type) {
      case 'stage': {
        const { id, type, ui: _ui, ...data } = node;
        const width = geometry.width ?? STAGE_WIDTH;
        const height = geometry.height ?? stageHeightFor(stepsPerStage.get(id) ?? 0);
        const position = geometry.position ?? nextColumn(width);
        return { id, type, position, width, height, data: withUi(data, geometry.extra) };
      }
      case 'interactive':
      case 'background':
      case 'wait': {
        const parentId = node.stage !== undefined && stageIds.has(node.stage) ? node.stage : undefined;
        const fallback = (): XYPosition => {
          if (parentId === undefined) return nextColumn(STEP_WIDTH);
          const index = placedSteps.get(parentId) ?? 0;
          placedSteps.set(parentId, index + 1);
          return { x: STAGE_PADDING, y: STAGE_HEADER + index * (STEP_HEIGHT + STEP_GAP) };
        };
        const position = geometry.position ?? fallback();
        const placement = parentId === undefined ? {} : { parentId, extent: 'parent' as const };
        // One case per type keeps data and type paired for the compiler.
        if (node.type === 'interactive') {
          const { id, type, ui: _ui, stage: _stage, ...data } = node;
          return { id, type, position, ...placement, data: withUi(data, geometry.extra) };
        }
        if (node.type === 'background') {
          const { id, type, ui: _ui, stage: _stage, ...data } = node;
          return { id, type, position, ...placement, data: withUi(data, geometry.extra) };
        }
        const { id, type, ui: _ui, stage: _stage, ...data } = node;
        return { id, type, position, ...placement, data: withUi(data, geometry.extra) };
      }
      case 'decision': {
        const { id, type, ui: _ui, ...data } = node;
        return { id, type, position: geometry.position ?? nextColumn(160), data: withUi(data, geometry.extra) };
      }
      case 'start': {
        const { id, type, ui: _ui, ...data } = node;
        return { id, type, position: geometry.position ?? nextColumn(60), data: withUi(data, geometry.extra) };
      }
      case 'end': {
        const { id, type, ui: _ui, ...data } = node;
        return { id, type, position: geometry.position ?? nextColumn(60), data: withUi(data, geometry.extra) };
      }
    }
  });

  const typeOf = new Map(documentNodes.map((n) => [n.id, n.type]));
  const edges = documentEdges.map((edge) => toFlowEdge(edge, typeOf.get(edge.source)));
  return { meta, nodes, edges };
}

function toFlowEdge(edge: DocumentEdge, sourceType: DocumentNodeType | undefined): FlowEdge {
  const { id, source, target, outcome, kind, ...data } = edge;
  let sourceHandle: string | null = null;
  if (sourceType === 'decision') sourceHandle = outcome ?? null;
  else if (sourceType === 'stage') sourceHandle = kind === 'error' ? ERROR_HANDLE : NEXT_HANDLE;
  else if (sourceType === 'start') sourceHandle = NEXT_HANDLE;
  return { id, source, target, sourceHandle, targetHandle: null, data };
}

function uiOf(node: FlowNode, extra: Record<string, unknown> | undefined): Record<string, unknown> {
  const ui: Record<string, unknown> = { ...extra, x: node.position.x, y: node.position.y };
  if (node.type === 'stage') {
    ui.width = node.width ?? node.measured?.width ?? STAGE_WIDTH;
    ui.height = node.height ?? node.measured?.height ?? stageHeightFor(0);
  }
  return ui;
}

function stageOfStep(node: StepNode): { stage?: string } {
  return node.parentId === undefined ? {} : { stage: node.parentId };
}

/** The document for the canvas's nodes and edges: every field kept, `ui` written back. */
export function flowToDocument({ meta, nodes, edges }: Flow): OrchestrationDocument {
  const typeOf = new Map(nodes.map((n) => [n.id, n.type]));
  const documentNodes = nodes.map((node): DocumentNode => {
    const { id } = node;
    switch (node.type) {
      case 'stage': {
        const { ui: extra, ...data } = node.data;
        return { id, type: node.type, ...data, ui: uiOf(node, extra) };
      }
      case 'interactive': {
        const { ui: extra, ...data } = node.data;
        return { id, type: node.type, ...stageOfStep(node), ...data, ui: uiOf(node, extra) };
      }
      case 'background': {
        const { ui: extra, ...data } = node.data;
        return { id, type: node.type, ...stageOfStep(node), ...data, ui: uiOf(node, extra) };
      }
      case 'wait': {
        const { ui: extra, ...data } = node.data;
        return { id, type: node.type, ...stageOfStep(node), ...data, ui: uiOf(node, extra) };
      }
      case 'decision': {
        const { ui: extra, ...data } = node.data;
        return { id, type: node.type, ...data, ui: uiOf(node, extra) };
      }
      case 'start': {
        const { ui: extra, ...data } = node.data;
        return { id, type: node.type, ...data, ui: uiOf(node, extra) };
      }
      case 'end': {
        const { ui: extra, ...data } = node.data;
        return { id, type: node.type, ...data, ui: uiOf(node, extra) };
      }
    }
  });
  const documentEdges = edges.map((edge): DocumentEdge => {
    const sourceType = typeOf.get(edge.source);
    const out: DocumentEdge = { id: edge.id, source: edge.source, target: edge.target, ...edge.data };
    if (sourceType === 'decision' && edge.sourceHandle) out.outcome = edge.sourceHandle;
    if (sourceType === 'stage' && edge.sourceHandle === ERROR_HANDLE) out.kind = 'error';
    return out;
  });
  return { ...meta, nodes: documentNodes, edges: documentEdges };
}

/** JSON with object keys sorted: equal documents give equal text, whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/** True when some node has no position of its own, so the canvas should lay the document out. */
export function needsLayout(document: OrchestrationDocument): boolean {
  return document.nodes.some((node) => typeof node.ui?.x !== 'number' || typeof node.ui?.y !== 'number');
}
