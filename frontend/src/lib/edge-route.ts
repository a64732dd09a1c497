/** An edge drawn along the route the layout found for it (lib/layout.ts), from its handles as they are now. */
import type { XYPosition } from '@xyflow/react';

import { roundedPath } from './back-edges';

const level = (a: XYPosition, b: XYPosition) => Math.abs(a.y - b.y) <= Math.abs(a.x - b.x);

/** The points without those in the middle of a straight run (a corner there could not be moved apart). */
function corners(points: readonly XYPosition[]): XYPosition[] {
  return points.filter((p, i) => {
    const before = points[i - 1];
    const after = points[i + 1];
    if (!before || !after) return true;
    return !((before.x === p.x && p.x === after.x) || (before.y === p.y && p.y === after.y));
  });
}

/**
 * The route's points with its ends moved to `from` and `to` (the handles where React Flow
 * draws them, a few pixels off the layout's ports): the corner next to each end moves with
 * it along the first (last) leg, so every leg stays horizontal or vertical and in the gap
 * the layout left it.
 */
export function fitRoute(route: readonly XYPosition[], from: XYPosition, to: XYPosition): XYPosition[] {
  const points = corners(route).map((p) => ({ ...p }));
  if (points.length <= 2) {
    const [a, b] = points;
    if (!a || !b || from.x === to.x || from.y === to.y) return [from, to];
    if (level(a, b)) {
      const x = (from.x + to.x) / 2;
      return [from, { x, y: from.y }, { x, y: to.y }, to];
    }
    const y = (from.y + to.y) / 2;
    return [from, { x: from.x, y }, { x: to.x, y }, to];
  }
  const last = points.length - 1;
  if (level(points[0]!, points[1]!)) points[1]!.y = from.y;
  else points[1]!.x = from.x;
  if (level(points[last - 1]!, points[last]!)) points[last - 1]!.y = to.y;
  else points[last - 1]!.x = to.x;
  points[0] = from;
  points[last] = to;
  return points;
}

/** The path along the route and where its label goes: the middle of its longest leg. */
export function routePath(
  route: readonly XYPosition[],
  from: XYPosition,
  to: XYPosition,
): [path: string, labelX: number, labelY: number] {
  const points = fitRoute(route, from, to);
  let label = { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
  let longest = -1;
  for (let i = 1; i < points.length; i += 1) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const length = Math.abs(b.x - a.x) + Math.abs(b.y - a.y);
    if (length > longest) {
      longest = length;
      label = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    }
  }
  return [roundedPath(points, 8), label.x, label.y];
}
