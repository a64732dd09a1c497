import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import projectMilestones from '../../../runtime/templates/project_milestones.json';
import serviceRequest from '../../../runtime/templates/service_request.json';
import { documentToFlow } from './document';
import { parseDocument } from './document-schema';
import { fitRoute } from './edge-route';
import { outcomeHandleY } from './geometry';
import { layout, layoutPlan, stageContents, type Placement } from './layout';

const flow = (template: unknown = contractApproval) => documentToFlow(parseDocument(structuredClone(template)));

describe('layout', () => {
  it('places every node, keeps steps inside their stage and orders them by start.after', async () => {
    const { nodes, edges } = flow();
    const { placements } = await layout(nodes, edges);
    expect([...placements.keys()].sort()).toEqual(nodes.map((n) => n.id).sort());

    const revise = placements.get('revise');
    const apply = placements.get('apply_revision');
    const reviseContract = placements.get('revise_contract');
    expect(revise?.width).toBeGreaterThan(0);
    expect(apply && reviseContract && apply.y > reviseContract.y).toBe(true);
    for (const step of nodes.filter((n) => n.parentId === 'revise')) {
      const p = placements.get(step.id);
      expect(p && revise && p.x >= 0 && p.y >= 0 && p.x < (revise.width ?? 0) && p.y < (revise.height ?? 0)).toBe(true);
    }
    // Left to right: start before the first stage, the first stage before its decision.
    const x = (id: string) => placements.get(id)?.x ?? Number.NaN;
    expect(x('start')).toBeLessThan(x('legal'));
    expect(x('legal')).toBeLessThan(x('legal_ok'));
  });

  it('puts the steps of a stage in rows by start.after, side by side and centred within a row', () => {
    const { nodes } = flow();
    const revise = stageContents(nodes.filter((n) => n.parentId === 'revise'));
    // mark_in_revision and revise_contract start with the stage; apply_revision after both.
    expect(revise.width).toBe(20 + 280 + 12 + 280 + 20);
    expect(revise.height).toBe(56 + 56 + 12 + 56 + 20);
    expect(Object.fromEntries(revise.steps)).toEqual({
      mark_in_revision: { x: 20, y: 56 },
      revise_contract: { x: 20 + 280 + 12, y: 56 },
      apply_revision: { x: (612 - 280) / 2, y: 56 + 56 + 12 },
    });
    const legal = stageContents(nodes.filter((n) => n.parentId === 'legal'));
    expect([legal.width, legal.height]).toEqual([320, 56 + 56 + 20]);
    expect(stageContents([])).toEqual({ width: 320, height: 56 + 20, steps: new Map() });
  });

  it('hands elkjs the loops reversed, so a loop goes back in reading order', async () => {
    const { nodes, edges } = flow();
    const { graph } = layoutPlan(nodes, edges);
    expect(graph.edges?.find((e) => e.id === 'e_again')).toMatchObject({
      sources: ['legal:in'],
      targets: ['resubmitted:default'],
    });
    expect(graph.edges?.find((e) => e.id === 'e_legal_back')).toMatchObject({
      sources: ['legal_ok:sent_back'],
      targets: ['revise:in'],
    });

    const { placements } = await layout(nodes, edges);
    const at = (id: string) => placements.get(id) as Required<Placement>;
    // The loop's target is in a row above its source: it goes back in reading order (rows, left to right).
    expect(at('legal').y + at('legal').height).toBeLessThanOrEqual(at('resubmitted').y);
    expect(at('start').y).toBeLessThan(at('resubmitted').y);
  });
});

describe('layout in both dimensions, edges around the nodes', () => {
  const templates = {
    contract_approval: contractApproval,
    service_request: serviceRequest,
    project_milestones: projectMilestones,
  };

  it('wraps the contract approval into rows: its drawing is not a strip', async () => {
    const { nodes, edges } = flow();
    const { placements } = await layout(nodes, edges);
    const top = nodes.filter((n) => n.parentId === undefined).map((n) => placements.get(n.id)!);
    const width = Math.max(...top.map((p) => p.x + (p.width ?? 128))) - Math.min(...top.map((p) => p.x));
    const height = Math.max(...top.map((p) => p.y + (p.height ?? 56))) - Math.min(...top.map((p) => p.y));
    // In one row it was 3176 × 589 (5.4 : 1), which only fits a screen at a zoom nobody reads.
    expect(width / height).toBeLessThan(2.5);
    expect(height / width).toBeLessThan(2.5);
  });

  it.each(Object.entries(templates))(
    'routes every edge of %s around the nodes it does not connect',
    async (_name, template) => {
      const { nodes, edges } = flow(template);
      const { placements, routes } = await layout(nodes, edges);
      expect([...routes.keys()].sort()).toEqual(edges.map((e) => e.id).sort());
      const boxes = nodes
        .filter((n) => n.parentId === undefined)
        .map((n) => ({ id: n.id, ...(placements.get(n.id) as Required<Placement>) }));
      const crossings: string[] = [];
      for (const edge of edges) {
        const { points, source, target } = routes.get(edge.id)!;
        expect(source).toMatchObject({ x: placements.get(edge.source)?.x, y: placements.get(edge.source)?.y });
        expect(target).toMatchObject({ x: placements.get(edge.target)?.x, y: placements.get(edge.target)?.y });
        for (let i = 1; i < points.length; i += 1) {
          const [a, b] = [points[i - 1]!, points[i]!];
          expect(a.x === b.x || a.y === b.y).toBe(true); // orthogonal
          for (const box of boxes) {
            if (box.id === edge.source || box.id === edge.target) continue;
            for (let t = 0; t <= 1; t += 1 / 64) {
              const [x, y] = [a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t];
              const inside = x > box.x && x < box.x + box.width && y > box.y && y < box.y + box.height;
              if (inside) crossings.push(`${edge.id} → ${box.id}`);
            }
          }
        }
      }
      expect([...new Set(crossings)]).toEqual([]);
    },
  );

  it("starts a route at its handle and ends it at its target's: a loop turned round, a decision's at its outcome", async () => {
    const { nodes, edges } = flow();
    const { placements, routes } = await layout(nodes, edges);
    const at = (id: string) => placements.get(id) as Required<Placement>;
    const ends = (id: string) => {
      const { points } = routes.get(id)!;
      return [points[0]!, points[points.length - 1]!];
    };
    // e_again: the loop from resubmitted's default outcome (its second row) back into legal's left side.
    const [from, to] = ends('e_again');
    expect(from).toEqual({
      x: at('resubmitted').x + at('resubmitted').width,
      y: at('resubmitted').y + outcomeHandleY(1),
    });
    expect(to).toEqual({ x: at('legal').x, y: at('legal').y + at('legal').height / 2 });
    // e_legal_back: legal_ok's first outcome (sent back) into revise.
    const [back] = ends('e_legal_back');
    expect(back).toEqual({ x: at('legal_ok').x + at('legal_ok').width, y: at('legal_ok').y + outcomeHandleY(0) });
  });
});

describe('an edge along its route', () => {
  const route = [
    { x: 100, y: 50 },
    { x: 140, y: 50 },
    { x: 140, y: 300 },
    { x: 200, y: 300 },
  ];

  it('moves its ends to the handles, the corners next to them along, every leg still straight', () => {
    expect(fitRoute(route, { x: 106, y: 54 }, { x: 193, y: 297 })).toEqual([
      { x: 106, y: 54 },
      { x: 140, y: 54 },
      { x: 140, y: 297 },
      { x: 193, y: 297 },
    ]);
  });

  it('steps a straight route in the middle when its ends are not level, and drops points within a straight run', () => {
    expect(
      fitRoute(
        [
          { x: 0, y: 10 },
          { x: 100, y: 10 },
        ],
        { x: 5, y: 10 },
        { x: 95, y: 20 },
      ),
    ).toEqual([
      { x: 5, y: 10 },
      { x: 50, y: 10 },
      { x: 50, y: 20 },
      { x: 95, y: 20 },
    ]);
    expect(
      fitRoute(
        [
          { x: 0, y: 0 },
          { x: 10, y: 0 },
          { x: 20, y: 0 },
          { x: 20, y: 30 },
        ],
        { x: 0, y: 2 },
        { x: 20, y: 30 },
      ),
    ).toEqual([
      { x: 0, y: 2 },
      { x: 20, y: 2 },
      { x: 20, y: 30 },
    ]);
  });
});

/** elkjs's worker code run in this thread, behind the Worker interface `elk-api` drives. */
async function elkWorkerClass(started: string[]) {
  // CommonJS: `module.exports = { default: FakeWorker, Worker: FakeWorker }`.
  const {
    default: { Worker: ElkWorker },
  } = (await import('elkjs/lib/elk-worker.js')) as unknown as {
    default: {
      Worker: new () => { postMessage(message: unknown): void; onmessage: ((event: unknown) => void) | null };
    };
  };
  return class {
    private readonly inner = new ElkWorker();
    constructor(url: URL, options: WorkerOptions) {
      started.push(`${url.pathname.split('/').pop()} ${options.type}`);
    }
    set onmessage(handler: (event: unknown) => void) {
      this.inner.onmessage = handler;
    }
    postMessage(message: { cmd: string }) {
      started.push(message.cmd);
      this.inner.postMessage(message);
    }
    addEventListener() {}
    terminate() {}
  };
}

describe('layout in a web worker', () => {
  beforeEach(() => vi.resetModules()); // a fresh module: no engine started yet
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('lays the graph out ahead in the worker, and places it at once while the graph is unchanged', async () => {
    const messages: string[] = [];
    vi.stubGlobal('Worker', await elkWorkerClass(messages));
    vi.useFakeTimers();
    const worker = await import('./layout');
    const { nodes, edges } = flow();
    worker.layoutAhead(() => ({ nodes, edges }));
    vi.advanceTimersByTime(250); // no requestIdleCallback here: a timer stands in
    vi.useRealTimers(); // elk-api answers through setTimeout
    await vi.waitFor(() => expect(messages).toEqual(['elk-worker.ts module', 'register', 'layout']));
    // Its routes are kept: a flow saved as it was laid out gets them back when opened.
    const { useRouteStore } = await import('../store/route-store');
    await vi.waitFor(() =>
      expect([...useRouteStore.getState().routes.keys()].sort()).toEqual(edges.map((e) => e.id).sort()),
    );

    // Moved nodes lay out the same: no second run. The result is the one laid out in the page.
    const moved = nodes.map((n) => ({ ...n, position: { x: n.position.x + 500, y: 7 } }));
    const placements = await worker.layout(moved, edges);
    expect(messages).toHaveLength(3);
    expect(placements).toEqual(await layout(nodes, edges));

    // A changed graph is laid out again.
    await worker.layout(
      nodes,
      edges.filter((e) => e.id !== 'e_again'),
    );
    expect(messages).toEqual(['elk-worker.ts module', 'register', 'layout', 'layout']);
  });

  it('lays out in the page when the worker cannot start, and says so', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    vi.stubGlobal(
      'Worker',
      class {
        onmessage = null;
        postMessage() {}
        terminate() {}
        addEventListener(type: string, listener: (event: { message: string }) => void) {
          if (type === 'error') setTimeout(() => listener({ message: '' }), 5);
        }
      },
    );
    const worker = await import('./layout');
    const { nodes, edges } = flow();
    const placements = await worker.layout(nodes, edges);
    expect(placements.placements.size).toBe(nodes.length);
    expect(warn).toHaveBeenCalledWith(
      'the layout worker stopped: its script did not load; laying out in the page instead',
    );
  });
});
