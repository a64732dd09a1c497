import { describe, expect, it } from 'vitest';

import { applyLiveMessage, EMPTY_NODE, liveUrl, parseLiveMessage, type LiveFigures } from './live-figures';

const review = { active: 12, waiting: 0, error: 1, completed: 340, failed: 2, overdue: 3, p50: 5400, p95: 86400 };
const snapshot = JSON.stringify({
  type: 'snapshot',
  seq: 1042,
  orchestration: 'deal',
  version: null,
  window: 'all',
  at: '2026-11-26T09:00:00+00:00',
  nodes: { review, legal: { ...EMPTY_NODE, overdue: 3 } },
  edges: { e1: { taken: 352 }, e2: { taken: 0 } },
});
const empty: LiveFigures = { seq: null, nodes: {}, edges: {} };

function held(): LiveFigures {
  return applyLiveMessage(empty, parseLiveMessage(snapshot)!);
}

describe('the /ws/live protocol', () => {
  it('takes a snapshot as it is', () => {
    const figures = held();
    expect(figures.seq).toBe(1042);
    expect(figures.nodes.review).toEqual(review);
    expect(figures.edges.e1).toEqual({ taken: 352 });
  });

  it('merges a delta field by field: an overdue-only delta keeps the other figures', () => {
    const delta = parseLiveMessage(
      JSON.stringify({
        type: 'delta',
        seq: 1049,
        nodes: { review: { ...review, active: 13 }, legal: { overdue: 4 } },
        edges: { e1: { taken: 353 } },
      }),
    )!;
    const figures = applyLiveMessage(held(), delta);
    expect(figures.seq).toBe(1049);
    expect(figures.nodes.review!.active).toBe(13);
    expect(figures.nodes.legal).toEqual({ ...EMPTY_NODE, overdue: 4 });
    expect(figures.edges).toEqual({ e1: { taken: 353 }, e2: { taken: 0 } });
  });

  it('counts nothing twice: the same delta applied again changes nothing (figures are absolute)', () => {
    const delta = parseLiveMessage(
      JSON.stringify({ type: 'delta', seq: 1049, nodes: { review: { completed: 341 } }, edges: {} }),
    )!;
    const once = applyLiveMessage(held(), delta);
    const twice = applyLiveMessage(once, delta);
    expect(twice.nodes.review!.completed).toBe(341);
    expect(twice).toEqual(once);
  });

  it('keeps a resumed delta (after a reconnect) and drops a delta older than the figures held', () => {
    const resumed = parseLiveMessage(
      JSON.stringify({ type: 'delta', seq: 1100, resumed: true, nodes: { legal: { overdue: 0 } }, edges: {} }),
    )!;
    const figures = applyLiveMessage(held(), resumed);
    expect(figures.nodes.legal!.overdue).toBe(0);
    const stale = parseLiveMessage(
      JSON.stringify({ type: 'delta', seq: 1050, nodes: { legal: { overdue: 9 } }, edges: {} }),
    )!;
    expect(applyLiveMessage(figures, stale)).toBe(figures);
  });

  it('starts a node it did not know from zeros', () => {
    const delta = parseLiveMessage(
      JSON.stringify({ type: 'delta', seq: 1050, nodes: { fresh: { completed: 1 } }, edges: {} }),
    )!;
    expect(applyLiveMessage(held(), delta).nodes.fresh).toEqual({ ...EMPTY_NODE, completed: 1 });
  });

  it('refuses frames that do not fit', () => {
    expect(parseLiveMessage('{')).toBeNull();
    expect(parseLiveMessage(JSON.stringify({ type: 'delta', seq: 'x' }))).toBeNull();
    expect(parseLiveMessage(JSON.stringify({ type: 'delta', seq: 3, nodes: { a: { active: -1 } } }))).toBeNull();
  });

  it('builds the stream URL, resuming with after', () => {
    const location = { protocol: 'https:', host: 'example.test' };
    expect(liveUrl(location, { orchestration: 'deal', version: null, window: 'all' })).toBe(
      'wss://example.test/ws/live?orchestration=deal',
    );
    expect(
      liveUrl({ ...location, protocol: 'http:' }, { orchestration: 'deal', version: 2, window: 'day', after: 1042 }),
    ).toBe('ws://example.test/ws/live?orchestration=deal&version=2&window=day&after=1042');
  });
});
