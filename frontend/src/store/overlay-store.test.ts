import { beforeEach, describe, expect, it } from 'vitest';

import { EMPTY_NODE } from '../lib/live-figures';
import { useOverlayStore } from './overlay-store';

const figures = (completed: number, p50: number | null) => ({ ...EMPTY_NODE, completed, p50, p95: p50 });

describe('the overlay store', () => {
  beforeEach(() => useOverlayStore.getState().clear());

  it('keeps live figures, heat and edge counts apart from the canvas nodes', () => {
    const store = useOverlayStore.getState();
    store.setStructure({ stages: new Set(['review', 'filing']), stageOf: {} });
    store.apply({
      type: 'snapshot',
      seq: 5,
      orchestration: 'deal',
      version: null,
      window: 'all',
      at: 'now',
      nodes: { review: figures(4, 3600), filing: figures(4, 60) },
      edges: { e1: { taken: 8 }, e2: { taken: 4 } },
    });
    let s = useOverlayStore.getState();
    expect(s.sequence).toBe(5);
    expect(s.heat).toEqual({ review: 5, filing: 1 });
    expect(s.bottleneck?.node).toBe('review');
    expect(s.busiestEdge).toBe(8);

    store.apply({
      type: 'delta',
      seq: 6,
      nodes: { filing: { completed: 400, p50: 60 } },
      edges: { e2: { taken: 400 } },
    });
    s = useOverlayStore.getState();
    expect(s.figures.filing!.completed).toBe(400);
    expect(s.bottleneck?.node).toBe('filing');
    expect(s.busiestEdge).toBe(400);
  });
});
