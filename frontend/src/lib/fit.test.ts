import { describe, expect, it } from 'vitest';

import { FIT_MAX_ZOOM, LABEL_PX, READABLE_PX, READABLE_ZOOM, readableViewport } from './fit';

describe('a readable fit', () => {
  it('never goes below the zoom where a node label renders at 11 px', () => {
    expect(LABEL_PX * READABLE_ZOOM).toBeCloseTo(READABLE_PX);
    // The contract approval in one strip (3176 × 589) on an 780 × 730 canvas: fitted whole, it was at 0.2.
    const { zoom } = readableViewport({ x: 12, y: 12, width: 3176, height: 589 }, 780, 730);
    expect(zoom).toBeCloseTo(READABLE_ZOOM);
    expect(LABEL_PX * zoom).toBeGreaterThanOrEqual(READABLE_PX - 1e-9);
  });

  it('shows the start of a flow too big for the canvas: its left and top, with room', () => {
    const viewport = readableViewport({ x: 100, y: 40, width: 2000, height: 1500 }, 800, 700);
    expect(viewport).toEqual({ x: 80 - 100 * READABLE_ZOOM, y: 70 - 40 * READABLE_ZOOM, zoom: READABLE_ZOOM });
  });

  it('centres a flow along the side it fits: a wide, short one is centred top to bottom', () => {
    const viewport = readableViewport({ x: 0, y: 0, width: 3000, height: 200 }, 800, 700);
    expect(viewport.zoom).toBeCloseTo(READABLE_ZOOM);
    expect(viewport.x).toBeCloseTo(80);
    expect(viewport.y).toBeCloseTo((700 - 200 * READABLE_ZOOM) / 2);
  });

  it('fits a flow that fits whole, centred, without zooming in past its limit', () => {
    const big = readableViewport({ x: 0, y: 0, width: 900, height: 600 }, 1000, 1000);
    expect(big.zoom).toBeCloseTo(1000 / (900 * 1.2));
    expect(big.x).toBeCloseTo((1000 - 900 * big.zoom) / 2);
    expect(big.y).toBeCloseTo((1000 - 600 * big.zoom) / 2);
    const small = readableViewport({ x: 10, y: 10, width: 60, height: 60 }, 1000, 800);
    expect(small).toEqual({
      x: (1000 - 60 * FIT_MAX_ZOOM) / 2 - 10 * FIT_MAX_ZOOM,
      y: (800 - 60 * FIT_MAX_ZOOM) / 2 - 10 * FIT_MAX_ZOOM,
      zoom: FIT_MAX_ZOOM,
    });
  });
});
