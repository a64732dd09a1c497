import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { documentToFlow } from './document';
import { parseDocument } from './document-schema';
import { layout, layoutPlan, stageContents } from './layout';

const flow = () => documentToFlow(parseDocument(structuredClone(contractApproval)));

describe('layout', () => {
  it('places every node, keeps steps inside their stage and orders them by start.after', async () => {
    const { nodes, edges } = flow();
    const placements = await layout(nodes, edges);
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

  it('hands elkjs the loops reversed, so every edge but a loop points left to right', async () => {
    const { nodes, edges } = flow();
    const { graph } = layoutPlan(nodes, edges);
    expect(graph.edges?.find((e) => e.id === 'e_again')).toMatchObject({ sources: ['legal'], targets: ['resubmitted'] });
    expect(graph.edges?.find((e) => e.id === 'e_legal_back')).toMatchObject({ sources: ['legal_ok'], targets: ['revise'] });

    const placements = await layout(nodes, edges);
    const x = (id: string) => placements.get(id)?.x ?? Number.NaN;
    const leftward = edges.filter((e) => x(e.target) < x(e.source)).map((e) => e.id);
    expect(leftward).toEqual(['e_again']);
  });
});

/** elkjs's worker code run in this thread, behind the Worker interface `elk-api` drives. */
async function elkWorkerClass(started: string[]) {
  // CommonJS: `module.exports = { default: FakeWorker, Worker: FakeWorker }`.
  const { default: { Worker: ElkWorker } } = (await import('elkjs/lib/elk-worker.js')) as unknown as {
    default: { Worker: new () => { postMessage(message: unknown): void; onmessage: ((event: unknown) => void) | null } };
  };
  return class {
    private readonly inner = new ElkWorker();
    constructor(url: URL, options: WorkerOptions) {
      started.push(`${url.pathname.split('/').pop()} ${options.type}`);
    }
    set onmessage(handler: (event: unknown) => void) { this.inner.onmessage = handler; }
    postMessage(message: { cmd: string }) { started.push(message.cmd); this.inner.postMessage(message); }
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

    // Moved nodes lay out the same: no second run. The result is the one laid out in the page.
    const moved = nodes.map((n) => ({ ...n, position: { x: n.position.x + 500, y: 7 } }));
    const placements = await worker.layout(moved, edges);
    expect(messages).toHaveLength(3);
    expect(placements).toEqual(await layout(nodes, edges));

    // A changed graph is laid out again.
    await worker.layout(nodes, edges.filter((e) => e.id !== 'e_again'));
    expect(messages).toEqual(['elk-worker.ts module', 'register', 'layout', 'layout']);
  });

  it('lays out in the page when the worker cannot start, and says so', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    vi.stubGlobal('Worker', class {
      onmessage = null;
      postMessage() {}
      terminate() {}
      addEventListener(type: string, listener: (event: { message: string }) => void) {
        if (type === 'error') setTimeout(() => listener({ message: '' }), 5);
      }
    });
    const worker = await import('./layout');
    const { nodes, edges } = flow();
    const placements = await worker.layout(nodes, edges);
    expect(placements.size).toBe(nodes.length);
    expect(warn).toHaveBeenCalledWith('the layout worker stopped: its script did not load; laying out in the page instead');
  });
});
