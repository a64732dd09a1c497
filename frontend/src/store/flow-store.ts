/**
 * The canvas's document: nodes, edges and the document's other fields, with undo.
 *
 * zundo keeps the history of {@link HistoryState}. A selection change is never an
 * entry; a gesture (a drag, a resize) is one entry however many moves it makes:
 * `beginGesture` pauses tracking and `endGesture` records the state from before it.
 * Live run figures do NOT belong here (see overlay-store.ts): updating `nodes` on
 * every tick would re-render the whole canvas and flood the history.
 */
import {
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type XYPosition,
} from '@xyflow/react';
import { temporal, type TemporalState } from 'zundo';
import { createStore, type StoreApi } from 'zustand';

import { connectionProblem } from '../lib/connection-rules';
import {
  STAGE_HEADER,
  STAGE_PADDING,
  documentToFlow,
  flowToDocument,
  isStage,
  isStep,
  type FlowEdge,
  type FlowNode,
  type StepNode,
} from '../lib/document';
import type { DocumentMeta, OrchestrationDocument } from '../lib/document-schema';
import { absolutePosition, clamp, sizeOf, stageAt } from '../lib/geometry';
import { idFromLabel, uniqueId } from '../lib/ids';
import type { Arrangement } from '../lib/layout';
import { HISTORY_LIMIT, sameHistoryState, type HistoryState } from './history';
import type { PaletteType } from '../lib/palette';
import { newNode } from './node-defaults';
import { useRouteStore } from './route-store';

/** Copied nodes and the edges between them, kept apart from history. */
export type Clipboard = { nodes: FlowNode[]; edges: FlowEdge[] };

export type AddResult = { id: string } | { problem: string };

export type FlowState = HistoryState & {
  clipboard: Clipboard | null;
  /** Counts documents loaded and layouts applied: the canvas fits them into view (never an undo entry). */
  arrangements: number;
  /** Replace everything with this document; forgets the history. */
  load: (document: OrchestrationDocument) => void;
  /** Replace everything with this document as one undoable change (an import). */
  replaceDocument: (document: OrchestrationDocument) => void;
  /** The document as the canvas has it now. */
  toDocument: () => OrchestrationDocument;
  applyNodeChanges: (changes: NodeChange<FlowNode>[]) => void;
  applyEdgeChanges: (changes: EdgeChange<FlowEdge>[]) => void;
  /** A node from the palette at `position` (canvas coordinates); a step must land in a stage. */
  addNode: (type: PaletteType, position: XYPosition) => AddResult;
  /** Draws an edge; returns why not when the connection breaks a rule. */
  connect: (connection: Connection) => string | null;
  /** Removes nodes (a stage with its steps), edges, and the edges of removed nodes. */
  removeElements: (nodeIds: readonly string[], edgeIds: readonly string[]) => void;
  select: (nodeIds: readonly string[], edgeIds?: readonly string[]) => void;
  copy: (nodeIds?: readonly string[]) => void;
  paste: (at?: XYPosition) => void;
  duplicate: (nodeIds?: readonly string[]) => void;
  /** Moves a step into a stage, `point` (canvas coordinates) being where its top-left corner goes. */
  moveStepToStage: (stepId: string, stageId: string, point: XYPosition) => void;
  /** At the start of a step's drag: it may leave its stage. */
  releaseStep: (stepId: string) => void;
  /** At the end of a step's drag: it joins the stage under its centre, or goes back into its own. */
  dropStep: (stepId: string) => void;
  /** Puts every node where the layout says, and keeps its edges' routes (not in the document). */
  applyLayout: (arrangement: Arrangement) => void;
  updateMeta: (meta: DocumentMeta) => void;
  /** The inspector's edit of one node's data (nothing happens when the node is not of `type`). */
  updateNodeData: <T extends FlowNode['type']>(
    id: string,
    type: T,
    update: (data: NodeDataOf<T>) => NodeDataOf<T>,
  ) => void;
  /** An edit of nodes and edges together (a decision outcome renamed with its edge). */
  updateGraph: (
    update: (graph: { nodes: FlowNode[]; edges: FlowEdge[] }) => { nodes: FlowNode[]; edges: FlowEdge[] },
  ) => void;
  /** Moves the selected nodes (keyboard arrows); steps stay inside their stage. */
  moveSelected: (dx: number, dy: number) => void;
  beginGesture: () => void;
  endGesture: () => void;
};

export type NodeDataOf<T extends FlowNode['type']> = Extract<FlowNode, { type: T }>['data'];

export type FlowStore = StoreApi<FlowState> & { temporal: StoreApi<TemporalState<HistoryState>> };

const PASTE_OFFSET = 32;
const EMPTY_META: DocumentMeta = { format: 1, key: 'untitled', label: 'Untitled' };

function isViewOnly(change: NodeChange<FlowNode> | EdgeChange<FlowEdge>): boolean {
  // A dimensions change without `resizing` is React Flow measuring a node, not the admin resizing it.
  return change.type === 'select' || (change.type === 'dimensions' && change.resizing === undefined);
}

/** Parents must come before their children in React Flow's array. */
function insertAfterParent(nodes: FlowNode[], node: FlowNode): FlowNode[] {
  const rest = nodes.filter((n) => n.id !== node.id);
  if (node.parentId === undefined) return [...rest, node];
  let index = rest.findIndex((n) => n.id === node.parentId);
  while (index + 1 < rest.length && rest[index + 1]?.parentId === node.parentId) index += 1;
  return [...rest.slice(0, index + 1), node, ...rest.slice(index + 1)];
}

/** `step` placed with its corner at `point` inside `stage` (canvas coordinates); the stage grows to hold it. */
function placeInStage(nodes: FlowNode[], step: StepNode, stageId: string, point: XYPosition): FlowNode[] {
  const stage = nodes.find((n) => n.id === stageId);
  if (!isStage(stage)) return nodes;
  const stageSize = sizeOf(stage);
  const stepSize = sizeOf(step);
  // The step keeps the padding's room from the stage's left (incoming) and right (next)
  // handles, and the stage grows downwards to keep it clear of the bottom (error) one: a
  // step over a handle takes the pointer that means to draw an edge from it.
  const width = Math.max(stageSize.width, stepSize.width + 2 * STAGE_PADDING);
  const position = {
    x: clamp(point.x - stage.position.x, STAGE_PADDING, width - stepSize.width - STAGE_PADDING),
    y: Math.max(point.y - stage.position.y, STAGE_HEADER), // below the stage's title
  };
  const height = Math.max(stageSize.height, position.y + stepSize.height + STAGE_PADDING);
  const grown = width !== stageSize.width || height !== stageSize.height ? { ...stage, width, height } : stage;
  const moved: StepNode = { ...step, parentId: stageId, extent: 'parent', position };
  return insertAfterParent(
    nodes.map((n) => (n.id === stageId ? grown : n)),
    moved,
  );
}

function selectOnly(nodes: FlowNode[], ids: ReadonlySet<string>): FlowNode[] {
  return nodes.map((n) => (Boolean(n.selected) === ids.has(n.id) ? n : { ...n, selected: ids.has(n.id) }));
}

/** Nodes to copy: the given ones, a stage's steps with it, never start (there is one). */
function copySet(nodes: readonly FlowNode[], ids: readonly string[]): FlowNode[] {
  const chosen = new Set(ids);
  return nodes.filter(
    (n) => n.type !== 'start' && (chosen.has(n.id) || (n.parentId !== undefined && chosen.has(n.parentId))),
  );
}

function remapStart(step: StepNode, ids: ReadonlyMap<string, string>, sameStage: boolean): StepNode {
  const start = step.data.start;
  if (start?.when !== 'after' || !start.steps) return step;
  const steps = start.steps.flatMap((s) => {
    const mapped = ids.get(s);
    if (mapped !== undefined) return [mapped];
    return sameStage ? [s] : [];
  });
  const next = steps.length > 0 ? { ...start, steps } : { when: 'stage_start' };
  return { ...step, data: { ...step.data, start: next } };
}

export function createFlowStore(document?: OrchestrationDocument): FlowStore {
  const initial = document ? documentToFlow(document) : { meta: EMPTY_META, nodes: [], edges: [] };
  let gestureStart: HistoryState | null = null;

  const store = createStore<FlowState>()(
    temporal(
      (set, get, api) => {
        // zundo types its own store as unknown inside the creator; it holds HistoryState.
        const temporalStore = () => (api as unknown as FlowStore).temporal;
        const history = () => temporalStore().getState();
        const untracked = (update: Partial<FlowState>) => {
          const tracking = history().isTracking;
          history().pause();
          set(update);
          if (tracking) history().resume();
        };

        const pasteClipboard = (clip: Clipboard, at: XYPosition | undefined): void => {
          const { nodes, edges } = get();
          const taken = new Set(nodes.map((n) => n.id));
          const ids = new Map<string, string>();
          const existing = new Set(taken);
          for (const node of clip.nodes) {
            const id = uniqueId(node.id, taken);
            taken.add(id);
            ids.set(node.id, id);
          }
          const topLevel = clip.nodes.filter((n) => n.parentId === undefined || !ids.has(n.parentId));
          const originX = Math.min(...topLevel.map((n) => absolutePosition(n, clip.nodes).x));
          const originY = Math.min(...topLevel.map((n) => absolutePosition(n, clip.nodes).y));
          const shift = at ? { x: at.x - originX, y: at.y - originY } : { x: PASTE_OFFSET, y: PASTE_OFFSET };

          let next = selectOnly(nodes, new Set());
          const pasted: string[] = [];
          for (const original of clip.nodes) {
            const id = ids.get(original.id) as string;
            const parentCopied = original.parentId !== undefined && ids.has(original.parentId);
            const parentId = parentCopied ? ids.get(original.parentId as string) : original.parentId;
            if (parentId !== undefined && !parentCopied && !existing.has(parentId)) continue;
            let node = { ...original, id, selected: true, data: structuredClone(original.data) } as FlowNode;
            if (isStep(node)) node = remapStart(node, ids, !parentCopied);
            if (parentId === undefined) {
              next = [...next, { ...node, position: { x: node.position.x + shift.x, y: node.position.y + shift.y } }];
            } else if (parentCopied) {
              next = insertAfterParent(next, { ...node, parentId });
            } else if (isStep(node)) {
              // A step copied without its stage goes back into that stage, a little apart from the original.
              const point = absolutePosition(original, nodes);
              next = placeInStage(next, node, parentId, { x: point.x + PASTE_OFFSET, y: point.y + PASTE_OFFSET });
            }
            pasted.push(id);
          }
          const edgeIds = new Set(edges.map((e) => e.id));
          const newEdges = clip.edges.map((edge) => {
            const id = uniqueId(edge.id, edgeIds);
            edgeIds.add(id);
            return {
              ...edge,
              id,
              selected: false,
              source: ids.get(edge.source) as string,
              target: ids.get(edge.target) as string,
              data: structuredClone(edge.data),
            };
          });
          set({ nodes: next, edges: [...edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...newEdges] });
        };

        const clipboardOf = (nodeIds: readonly string[] | undefined): Clipboard => {
          const { nodes, edges } = get();
          const ids = nodeIds ?? nodes.filter((n) => n.selected).map((n) => n.id);
          const copied = copySet(nodes, ids);
          const copiedIds = new Set(copied.map((n) => n.id));
          return {
            nodes: structuredClone(copied.map((n) => ({ ...n, selected: false, measured: undefined }))),
            edges: structuredClone(edges.filter((e) => copiedIds.has(e.source) && copiedIds.has(e.target))),
          };
        };

        return {
          ...initial,
          clipboard: null,
          arrangements: 0,

          load: (doc) => {
            set({ ...documentToFlow(doc), arrangements: get().arrangements + 1 });
            history().clear();
          },

          replaceDocument: (doc) => set({ ...documentToFlow(doc) }),

          toDocument: () => {
            const { meta, nodes, edges } = get();
            return flowToDocument({ meta, nodes, edges });
          },

          applyNodeChanges: (changes) => {
            // Removal goes through removeElements (React Flow's onDelete): one entry for nodes and edges.
            const kept = changes.filter((c) => c.type !== 'remove');
            if (kept.length === 0) return;
            const nodes = applyNodeChanges(kept, get().nodes);
            if (kept.every(isViewOnly)) untracked({ nodes });
            else set({ nodes });
          },

          applyEdgeChanges: (changes) => {
            const kept = changes.filter((c) => c.type !== 'remove');
            if (kept.length === 0) return;
            const edges = applyEdgeChanges(kept, get().edges);
            if (kept.every(isViewOnly)) untracked({ edges });
            else set({ edges });
          },

          addNode: (type, position) => {
            const { nodes } = get();
            if (type === 'start' && nodes.some((n) => n.type === 'start')) {
              return { problem: 'There is already a start.' };
            }
            // A readable id made from the label ("New stage" → new_stage); it follows the label
            // while the two still match (the inspector renames it), see docs/ARCHITECTURE.md "Names, not ids".
            const label = (newNode(type, type, position).data as { label?: string }).label ?? type;
            const id = uniqueId(type === 'start' ? 'start' : idFromLabel(label, type), new Set(nodes.map((n) => n.id)));
            const node = newNode(type, id, position);
            const others = selectOnly(nodes, new Set());
            if (isStep(node)) {
              const stage = stageAt(position, nodes);
              if (!stage) return { problem: 'Drop a step inside a stage: steps run in a stage.' };
              set({ nodes: placeInStage(others, { ...node, selected: true }, stage.id, position) });
            } else {
              set({ nodes: [...others, { ...node, selected: true }] });
            }
            return { id };
          },

          connect: (connection) => {
            const { nodes, edges } = get();
            const problem = connectionProblem(connection, nodes, edges);
            if (problem) return problem;
            const handle = connection.sourceHandle ? `_${connection.sourceHandle}` : '';
            const id = uniqueId(`e_${connection.source}${handle}`, new Set(edges.map((e) => e.id)));
            const edge: FlowEdge = {
              id,
              source: connection.source,
              target: connection.target,
              sourceHandle: connection.sourceHandle,
              targetHandle: null,
              data: {},
            };
            set({ edges: [...edges, edge] });
            return null;
          },

          removeElements: (nodeIds, edgeIds) => {
            const { nodes, edges } = get();
            const gone = new Set(nodeIds);
            for (const node of nodes) if (node.parentId !== undefined && gone.has(node.parentId)) gone.add(node.id);
            const goneEdges = new Set(edgeIds);
            const keptEdges = edges.filter((e) => !goneEdges.has(e.id) && !gone.has(e.source) && !gone.has(e.target));
            if (gone.size === 0 && keptEdges.length === edges.length) return;
            set({ nodes: nodes.filter((n) => !gone.has(n.id)), edges: keptEdges });
          },

          select: (nodeIds, edgeIds = []) => {
            const edgeSet = new Set(edgeIds);
            untracked({
              nodes: selectOnly(get().nodes, new Set(nodeIds)),
              edges: get().edges.map((e) =>
                Boolean(e.selected) === edgeSet.has(e.id) ? e : { ...e, selected: edgeSet.has(e.id) },
              ),
            });
          },

          copy: (nodeIds) => {
            const clip = clipboardOf(nodeIds);
            if (clip.nodes.length > 0) untracked({ clipboard: clip });
          },

          paste: (at) => {
            const { clipboard } = get();
            if (clipboard && clipboard.nodes.length > 0) pasteClipboard(clipboard, at);
          },

          duplicate: (nodeIds) => {
            const clip = clipboardOf(nodeIds);
            if (clip.nodes.length > 0) pasteClipboard(clip, undefined);
          },

          moveStepToStage: (stepId, stageId, point) => {
            const step = get().nodes.find((n) => n.id === stepId);
            if (!step || !isStep(step)) return;
            set({ nodes: placeInStage(get().nodes, step, stageId, point) });
          },

          releaseStep: (stepId) => {
            set({ nodes: get().nodes.map((n) => (n.id === stepId && isStep(n) ? { ...n, extent: undefined } : n)) });
          },

          dropStep: (stepId) => {
            const { nodes } = get();
            const step = nodes.find((n) => n.id === stepId);
            if (!step || !isStep(step)) return;
            const corner = absolutePosition(step, nodes);
            const { width, height } = sizeOf(step);
            const target = stageAt({ x: corner.x + width / 2, y: corner.y + height / 2 }, nodes)?.id ?? step.parentId;
            if (target === undefined) return;
            set({ nodes: placeInStage(nodes, step, target, corner) });
          },

          applyLayout: ({ placements, routes }) => {
            useRouteStore.getState().keep(routes);
            set({
              arrangements: get().arrangements + 1,
              nodes: get().nodes.map((node) => {
                const placement = placements.get(node.id);
                if (!placement) return node;
                const { x, y, width, height } = placement;
                return {
                  ...node,
                  position: { x, y },
                  ...(node.type === 'stage' && width !== undefined ? { width, height } : {}),
                };
              }),
            });
          },

          updateMeta: (meta) => set({ meta }),

          updateNodeData: (id, type, update) => {
            const { nodes } = get();
            const index = nodes.findIndex((n) => n.id === id && n.type === type);
            const node = nodes[index];
            if (!node) return;
            const data = update(node.data);
            if (data === node.data) return;
            set({ nodes: nodes.map((n, i) => (i === index ? { ...n, data } : n)) });
          },

          updateGraph: (update) => {
            const { nodes, edges } = get();
            const next = update({ nodes, edges });
            if (next.nodes === nodes && next.edges === edges) return;
            set({ nodes: next.nodes, edges: next.edges });
          },

          moveSelected: (dx, dy) => {
            const { nodes } = get();
            const chosen = new Set(nodes.filter((n) => n.selected).map((n) => n.id));
            if (chosen.size === 0) return;
            set({
              nodes: nodes.map((node) => {
                // A step moves with its stage when both are selected.
                if (!chosen.has(node.id) || (node.parentId !== undefined && chosen.has(node.parentId))) return node;
                let { x, y } = node.position;
                x += dx;
                y += dy;
                const stage = node.parentId === undefined ? undefined : nodes.find((n) => n.id === node.parentId);
                if (isStage(stage)) {
                  const outer = sizeOf(stage);
                  const inner = sizeOf(node);
                  x = clamp(x, 0, outer.width - inner.width);
                  y = clamp(y, STAGE_HEADER, outer.height - inner.height);
                }
                return { ...node, position: { x, y } };
              }),
            });
          },

          beginGesture: () => {
            if (gestureStart) return;
            const { meta, nodes, edges } = get();
            gestureStart = { meta, nodes, edges };
            history().pause();
          },

          endGesture: () => {
            if (!gestureStart) return;
            const before = gestureStart;
            gestureStart = null;
            history().resume();
            const { meta, nodes, edges } = get();
            if (sameHistoryState(before, { meta, nodes, edges })) return;
            temporalStore().setState((s) => ({
              pastStates: [...s.pastStates, before].slice(-HISTORY_LIMIT),
              futureStates: [],
            }));
          },
        };
      },
      {
        partialize: ({ meta, nodes, edges }): HistoryState => ({ meta, nodes, edges }),
        equality: sameHistoryState,
        limit: HISTORY_LIMIT,
      },
    ),
  );
  return store;
}
