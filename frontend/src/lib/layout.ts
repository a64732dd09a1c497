/**
 * Auto-layout: the graph left to right with elkjs (start → stages and decisions → ends),
 * back edges (loops) pointing right to left; each stage's steps top to bottom in the
 * order their `start.after` gives (rows worked out here: elkjs laying out every stage on
 * its own took most of its time), each stage sized to hold them. Used when a document
 * has no `ui` yet, and by "Tidy up".
 *
 * elkjs (about 1.4 MB) runs in a web worker, so the page stays responsive while it works;
 * the builder lays its graph out ahead, when idle ({@link layoutAhead}). Where there is
 * no `Worker` (tests) or the worker cannot start, it runs in the page.
 */
import ElkApi, { type ElkNode } from 'elkjs/lib/elk-api';

import { backEdgesOf } from './back-edges';
import { STAGE_HEADER, STAGE_PADDING, STAGE_WIDTH, STEP_GAP, isStage, isStep, type FlowEdge, type FlowNode } from './document';
import { sizeOf } from './geometry';

/** Where a node goes: its position (relative to its stage for a step) and, for a stage, its size. */
export type Placement = { x: number; y: number; width?: number; height?: number };

/** Lays out an elk graph. */
type Engine = (graph: ElkNode) => Promise<ElkNode>;

const GRAPH_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.layered.spacing.nodeNodeBetweenLayers': '96',
  'elk.spacing.nodeNode': '48',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
};

/** Each step's row: the first for a step that starts with its stage, else the one below the last step it starts after. */
function rowsOf(steps: readonly FlowNode[]): FlowNode[][] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const row = new Map<string, number>();
  const rowOf = (step: FlowNode, visiting: Set<string>): number => {
    const known = row.get(step.id);
    if (known !== undefined) return known;
    visiting.add(step.id);
    const before = isStep(step) && step.data.start?.when === 'after' ? step.data.start.steps ?? [] : [];
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
export function stageContents(steps: readonly FlowNode[]): { width: number; height: number; steps: Map<string, Placement> } {
  const rows = rowsOf(steps).map((row) => {
    const sizes = row.map(sizeOf);
    return {
      row, sizes,
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
 * What elkjs lays out (the top-level nodes, each stage at the size its steps need) and
 * where the steps go in their stages. Back edges are handed over reversed: the graph is
 * then acyclic, so elkjs's own cycle breaking (which may reverse a forward edge) has
 * nothing to do, and every loop's target lands left of its source, where the canvas
 * draws loops from.
 */
export function layoutPlan(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): { graph: ElkNode; steps: Map<string, Placement> } {
  const topLevel = nodes.filter((n) => n.parentId === undefined);
  const ids = new Set(topLevel.map((n) => n.id));
  const between = edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  const back = backEdgesOf(between);
  const steps = new Map<string, Placement>();
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: GRAPH_OPTIONS,
    children: topLevel.map((node): ElkNode => {
      const inside = isStage(node) ? nodes.filter((n) => n.parentId === node.id) : [];
      if (inside.length === 0) return { id: node.id, ...sizeOf(node) };
      const contents = stageContents(inside);
      for (const [id, placement] of contents.steps) steps.set(id, placement);
      return { id: node.id, width: contents.width, height: contents.height };
    }),
    edges: between.map((e) => (back.has(e.id)
      ? { id: e.id, sources: [e.target], targets: [e.source] }
      : { id: e.id, sources: [e.source], targets: [e.target] })),
  };
  return { graph, steps };
}

/** Where elkjs put every top-level node, each stage with its size, and the steps where `steps` says. */
export function placementsOf(result: ElkNode, steps: ReadonlyMap<string, Placement>): Map<string, Placement> {
  const placements = new Map(steps);
  for (const child of result.children ?? []) {
    placements.set(child.id, { x: child.x ?? 0, y: child.y ?? 0, width: child.width, height: child.height });
  }
  return placements;
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
  const broken = new Promise<never>((_, reject) => { failed = reject; });
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
    const result = layoutEngine().then((run) => run(graph)).then((laidOut) => {
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
export async function layout(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): Promise<Map<string, Placement>> {
  const { graph, steps } = layoutPlan(nodes, edges);
  return placementsOf(await elkLayout(graph), steps);
}

/**
 * Lays out the flow `current()` gives once the page is idle, in the worker: the first
 * "Tidy up" then pays neither the loading of elkjs nor its first, slow runs (its code is
 * compiled as it runs), and none at all while the graph is unchanged. Returns a cancel
 * function (for an effect's cleanup).
 */
export function layoutAhead(current: () => { nodes: readonly FlowNode[]; edges: readonly FlowEdge[] }): () => void {
  if (typeof Worker !== 'function') return () => undefined; // in the page, it would block it
  const start = () => {
    const { nodes, edges } = current();
    layout(nodes, edges).catch(() => undefined); // not kept: the next layout tries again and meets the error itself
  };
  if (typeof requestIdleCallback === 'function') {
    const handle = requestIdleCallback(start, { timeout: 2000 });
    return () => cancelIdleCallback(handle);
  }
  const timer = setTimeout(start, 200);
  return () => clearTimeout(timer);
}
