/**
 * Auto-layout: the graph left to right with elkjs (start → stages and decisions → ends),
 * wrapped into rows when it is long (a 13-node flow in one strip only shows at a zoom
 * nobody can read), back edges (loops) pointing right to left, and every edge routed
 * around the nodes (orthogonal, from the handle's side); each stage's steps top to bottom in the
 * order their `start.after` gives (rows worked out here: elkjs laying out every stage on
 * its own took most of its time), each stage sized to hold them. Used when a document
 * has no `ui` yet, and by "Tidy up".
 *
 * elkjs (about 1.4 MB) runs in a web worker, so the page stays responsive while it works;
 * the builder lays its graph out ahead, when idle ({@link layoutAhead}). Where there is
 * no `Worker` (tests) or the worker cannot start, it runs in the page.
 */
import type { XYPosition } from '@xyflow/react';
import ElkApi, { type ElkExtendedEdge, type ElkNode, type ElkPort } from 'elkjs/lib/elk-api';

import { backEdgesOf, type Box } from './back-edges';
import {
  DEFAULT_OUTCOME,
  ERROR_HANDLE,
  NEXT_HANDLE,
  STAGE_HEADER,
  STAGE_PADDING,
  STAGE_WIDTH,
  STEP_GAP,
  isStage,
  isStep,
  type FlowEdge,
  type FlowNode,
} from './document';
import { layoutSizeOf, outcomeHandleY, sizeOf } from './geometry';
import { useRouteStore } from '../store/route-store';

/** Where a node goes: its position (relative to its stage for a step) and, for a stage, its size. */
export type Placement = { x: number; y: number; width?: number; height?: number };

/**
 * The way the layout found for an edge: points from its source's handle to its target's,
 * around the other nodes, and where both ends were (the route holds while they stay there).
 */
export type Route = { points: readonly XYPosition[]; source: Box; target: Box };

/** A layout: where the nodes go, and the routes of the edges between them. */
export type Arrangement = { placements: Map<string, Placement>; routes: Map<string, Route> };

/** Lays out an elk graph. */
type Engine = (graph: ElkNode) => Promise<ElkNode>;

const GRAPH_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.layered.spacing.nodeNodeBetweenLayers': '96',
  'elk.spacing.nodeNode': '48',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.edgeRouting': 'ORTHOGONAL',
  // Room for edges between nodes and the routes around them.
  'elk.spacing.edgeNode': '24',
  'elk.layered.spacing.edgeNodeBetweenLayers': '24',
  // A long chain wraps into rows, towards a square drawing (the canvas is about as high as
  // it is wide): both dimensions used, so more of it reads at once. MULTI_EDGE: a chain with
  // loops and branches (several edges across a cut) wraps too.
  'elk.layered.wrapping.strategy': 'MULTI_EDGE',
  'elk.aspectRatio': '1',
};

/** Ports sit where the node draws its handles, so routes start and end at them. */
const FIXED_PORTS = { 'elk.portConstraints': 'FIXED_POS' };

/** An elk port id: the node's and the handle's (a node id never holds a colon). */
const portId = (node: string, handle: string) => `${node}:${handle}`;
const TARGET = 'in';

/**
 * A node's handles as elk ports: the target on the left, middle; a stage's next on the right
 * and its fault path below; start's next on the right; a decision's outcomes on the right,
 * one row each (see geometry.ts), then `default`.
 */
function portsOf(node: FlowNode, width: number, height: number): ElkPort[] {
  const port = (handle: string, x: number, y: number): ElkPort => ({
    id: portId(node.id, handle),
    x,
    y,
    width: 0,
    height: 0,
  });
  const target = port(TARGET, 0, height / 2);
  switch (node.type) {
    case 'start':
      return [port(NEXT_HANDLE, width, height / 2)];
    case 'end':
      return [target];
    case 'stage':
      return [target, port(NEXT_HANDLE, width, height / 2), port(ERROR_HANDLE, width / 2, height)];
    case 'decision': {
      const outcomes = [...(node.data.outcomes ?? []).map((o) => o.id), DEFAULT_OUTCOME];
      return [target, ...outcomes.map((id, i) => port(id, width, outcomeHandleY(i)))];
    }
    default:
      return [];
  }
}

/** The port an edge leaves from: its handle's, else the node's first source port. */
function sourcePort(edge: FlowEdge, ports: ReadonlyMap<string, ElkPort[]>): string {
  const own = ports.get(edge.source) ?? [];
  const wanted = portId(edge.source, edge.sourceHandle ?? NEXT_HANDLE);
  const found = own.find((p) => p.id === wanted) ?? own.find((p) => p.id !== portId(edge.source, TARGET));
  return found?.id ?? edge.source;
}

/** Each step's row: the first for a step that starts with its stage, else the one below the last step it starts after. */
function rowsOf(steps: readonly FlowNode[]): FlowNode[][] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const row = new Map<string, number>();
  const rowOf = (step: FlowNode, visiting: Set<string>): number => {
    const known = row.get(step.id);
    if (known !== undefined) return known;
    visiting.add(step.id);
    const before = isStep(step) && step.data.start?.when === 'after' ? (step.data.start.steps ?? []) : [];
    let mine = 0;
    for (const id of before) {
      const other = byId.get(id);
      if (other && !visiting.has(id)) mine = Math.max(mine, rowOf(other, visiting) + 1); // a cycle (invalid) is cut
    }
    visiting.delete(step.id);
    row.set(step.id, mine);
    return mine;
  };
  const rows: FlowNode[][] = [];
  for (const step of steps) (rows[rowOf(step, new Set())] ??= []).push(step);
  return rows.filter((r) => r.length > 0);
}

/**
 * A stage's steps in rows, top to bottom (steps of one row side by side, centred), and
 * the stage's size to hold them: at least {@link STAGE_WIDTH} wide.
 */
export function stageContents(steps: readonly FlowNode[]): {
  width: number;
  height: number;
  steps: Map<string, Placement>;
} {
  const rows = rowsOf(steps).map((row) => {
    const sizes = row.map(sizeOf);
    return {
      row,
      sizes,
      width: sizes.reduce((sum, s) => sum + s.width, 0) + STEP_GAP * (row.length - 1),
      height: Math.max(...sizes.map((s) => s.height)),
    };
  });
  const width = Math.max(STAGE_WIDTH, 2 * STAGE_PADDING + Math.max(0, ...rows.map((r) => r.width)));
  const placements = new Map<string, Placement>();
  let y = STAGE_HEADER;
  for (const { row, sizes, width: rowWidth, height } of rows) {
    let x = (width - rowWidth) / 2;
    row.forEach((step, i) => {
      placements.set(step.id, { x, y });
      x += sizes[i]!.width + STEP_GAP;
    });
    y += height + STEP_GAP;
  }
  const height = rows.length > 0 ? y - STEP_GAP + STAGE_PADDING : STAGE_HEADER + STAGE_PADDING;
  return { width, height, steps: placements };
}

/**
 * What elkjs lays out (the top-level nodes, each stage at the size its steps need, with
 * their handles as ports) and where the steps go in their stages. Back edges are handed
 * over reversed, from the loop's target's left port to its source's right port: the graph
 * is then acyclic, so elkjs's own cycle breaking (which may reverse a forward edge) has
 * nothing to do, every loop's target lands left of its source, and elkjs routes the loop
 * around the nodes from the sides its handles are on ({@link routesOf} turns it round).
 */
export function layoutPlan(
  nodes: readonly FlowNode[],
  edges: readonly FlowEdge[],
): { graph: ElkNode; steps: Map<string, Placement>; back: ReadonlySet<string> } {
  const topLevel = nodes.filter((n) => n.parentId === undefined);
  const ids = new Set(topLevel.map((n) => n.id));
  const between = edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  const back = backEdgesOf(between);
  const steps = new Map<string, Placement>();
  const ports = new Map<string, ElkPort[]>();
  const children = topLevel.map((node): ElkNode => {
    const inside = isStage(node) ? nodes.filter((n) => n.parentId === node.id) : [];
    let size = layoutSizeOf(node) ?? sizeOf(node);
    if (inside.length > 0) {
      const contents = stageContents(inside);
      for (const [id, placement] of contents.steps) steps.set(id, placement);
      size = { width: contents.width, height: contents.height };
    }
    const own = portsOf(node, size.width, size.height);
    ports.set(node.id, own);
    return { id: node.id, ...size, ports: own, layoutOptions: FIXED_PORTS };
  });
  const graphEdges = between.map((e): ElkExtendedEdge => {
    const from = sourcePort(e, ports);
    const to = portId(e.target, TARGET);
    const into = ports.get(e.target)?.some((p) => p.id === to) ? to : e.target;
    return back.has(e.id)
      ? { id: e.id, sources: [into], targets: [from] }
      : { id: e.id, sources: [from], targets: [into] };
  });
  const graph: ElkNode = { id: 'root', layoutOptions: GRAPH_OPTIONS, children, edges: graphEdges };
  return { graph, steps, back };
}

/** Where elkjs put every top-level node, each stage with its size, and the steps where `steps` says. */
export function placementsOf(result: ElkNode, steps: ReadonlyMap<string, Placement>): Map<string, Placement> {
  const placements = new Map(steps);
  for (const child of result.children ?? []) {
    placements.set(child.id, { x: child.x ?? 0, y: child.y ?? 0, width: child.width, height: child.height });
  }
  return placements;
}

/**
 * Each edge's route, source to target: elkjs's section (the top-level graph: coordinates
 * are the canvas's), turned round for a loop, which elkjs was handed reversed.
 */
export function routesOf(result: ElkNode, edges: readonly FlowEdge[], back: ReadonlySet<string>): Map<string, Route> {
  const boxes = new Map(
    (result.children ?? []).map((c) => [
      c.id,
      { x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 },
    ]),
  );
  const laidOut = new Map((result.edges ?? []).map((e) => [e.id, e]));
  const routes = new Map<string, Route>();
  for (const edge of edges) {
    const sections = laidOut.get(edge.id)?.sections ?? [];
    const source = boxes.get(edge.source);
    const target = boxes.get(edge.target);
    if (sections.length !== 1 || !source || !target) continue; // not one path: drawn the usual way
    const section = sections[0]!;
    const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map(({ x, y }) => ({ x, y }));
    routes.set(edge.id, { points: back.has(edge.id) ? points.reverse() : points, source, target });
  }
  return routes;
}

function inPage(): Promise<Engine> {
  return import('elkjs/lib/elk.bundled.js').then(({ default: Elk }) => {
    const elk = new Elk();
    return (graph) => elk.layout(graph);
  });
}

/** A worker that fails to start (a blocked or missing script) says so once; its layouts then run in the page. */
function inWorker(): Engine {
  let failure: Error | null = null;
  let failed: (error: Error) => void = () => undefined;
  const broken = new Promise<never>((_, reject) => {
    failed = reject;
  });
  broken.catch(() => undefined); // nobody may be waiting when it fails
  const elk = new ElkApi({
    algorithms: ['layered'],
    workerFactory: () => {
      const worker = new Worker(new URL('./elk-worker.ts', import.meta.url), { type: 'module', name: 'elk-layout' });
      worker.addEventListener('error', (event) => {
        failure = new Error(`the layout worker stopped: ${event.message || 'its script did not load'}`);
        console.warn(`${failure.message}; laying out in the page instead`);
        failed(failure);
        worker.terminate();
      });
      return worker;
    },
  });
  return async (graph) => {
    if (failure === null) {
      try {
        return await Promise.race([elk.layout(graph), broken]);
      } catch (error) {
        if (error !== failure) throw error;
      }
    }
    engine = inPage();
    return (await engine)(graph);
  };
}

let engine: Promise<Engine> | null = null;

function layoutEngine(): Promise<Engine> {
  engine ??= typeof Worker === 'function' ? Promise.resolve(inWorker()) : inPage();
  return engine;
}

/** The User Timing entry of each layout elkjs ran: request to result, worker start-up included. */
export const LAYOUT_MEASURE = 'overture:layout';

let last: { key: string; result: Promise<ElkNode> } | null = null;

/** elkjs's layout of `graph`; the last one is kept (the same graph gives the same layout). */
function elkLayout(graph: ElkNode): Promise<ElkNode> {
  const key = JSON.stringify(graph);
  if (last?.key !== key) {
    const started = performance.now();
    const result = layoutEngine()
      .then((run) => run(graph))
      .then((laidOut) => {
        performance.measure(LAYOUT_MEASURE, { start: started }); // bench/canvas_speed.py reads it
        return laidOut;
      });
    last = { key, result };
    result.catch(() => {
      if (last?.result === result) last = null; // a failure is not kept
    });
  }
  return last.result;
}

/**
 * Where every node goes (steps relative to their stage) and how big each stage is. The
 * layout depends only on the graph and the nodes' sizes, never on where they are now: the
 * graph laid out ahead ({@link layoutAhead}) and unchanged since (nodes moved, labels
 * edited) is placed at once.
 */
export async function layout(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): Promise<Arrangement> {
  const { graph, steps, back } = layoutPlan(nodes, edges);
  const result = await elkLayout(graph);
  return { placements: placementsOf(result, steps), routes: routesOf(result, edges, back) };
}

/**
 * Lays out the flow `current()` gives once the page is idle, in the worker: the first
 * "Tidy up" then pays neither the loading of elkjs nor its first, slow runs (its code is
 * compiled as it runs), and none at all while the graph is unchanged. Its routes are kept:
 * a flow saved as it was laid out gets its edges' routes back when it is opened again (an
 * edge follows its route only while both its ends are where this layout puts them).
 * Returns a cancel function (for an effect's cleanup).
 */
export function layoutAhead(current: () => { nodes: readonly FlowNode[]; edges: readonly FlowEdge[] }): () => void {
  if (typeof Worker !== 'function') return () => undefined; // in the page, it would block it
  const start = () => {
    const { nodes, edges } = current();
    layout(nodes, edges).then(
      ({ routes }) => useRouteStore.getState().keep(routes),
      () => undefined, // not kept: the next layout tries again and meets the error itself
    );
  };
  if (typeof requestIdleCallback === 'function') {
    const handle = requestIdleCallback(start, { timeout: 2000 });
    return () => cancelIdleCallback(handle);
  }
  const timer = setTimeout(start, 200);
  return () => clearTimeout(timer);
}
