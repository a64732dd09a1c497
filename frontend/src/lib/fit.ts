/**
 * Fitting the canvas so it reads: the whole flow when it fits at a zoom where node labels
 * are at least {@link READABLE_PX} high on screen; else that zoom, showing the flow's
 * start (its left and top) — people pan (the minimap shows the rest) rather than squint.
 */
import type { Rect, Viewport } from '@xyflow/react';

/** A node label's font size (styles.css, `.node__label`). */
export const LABEL_PX = 13;
/** The smallest a node label may render on screen. */
export const READABLE_PX = 11;
/** The lowest zoom a fit goes to: labels at {@link READABLE_PX}. */
export const READABLE_ZOOM = READABLE_PX / LABEL_PX;
/** A fit never zooms in past this (a flow of three nodes would fill the screen). */
export const FIT_MAX_ZOOM = 1.25;
/** Room around the flow, a share of the canvas (as React Flow's fitView `padding`). */
export const FIT_PADDING = 0.1;

/** The viewport that shows `bounds` (the nodes' box) on a canvas `width` × `height`, readable. */
export function readableViewport(bounds: Rect, width: number, height: number): Viewport {
  const room = 1 + 2 * FIT_PADDING;
  const whole = Math.min(width / (bounds.width * room), height / (bounds.height * room));
  const zoom = Math.min(FIT_MAX_ZOOM, Math.max(READABLE_ZOOM, Number.isFinite(whole) ? whole : FIT_MAX_ZOOM));
  // Along each axis: centred when the flow fits, else from its start with the padding's room.
  const along = (start: number, size: number, screen: number) =>
    size * zoom * room <= screen + 1e-6
      ? (screen - size * zoom) / 2 - start * zoom
      : screen * FIT_PADDING - start * zoom;
  return { x: along(bounds.x, bounds.width, width), y: along(bounds.y, bounds.height, height), zoom };
}
