/** The route the last layout found for an edge, while both its ends are where the layout put them. */
import { useStore, type InternalNode } from '@xyflow/react';
import type { XYPosition } from '@xyflow/react';

import type { Box } from '../lib/back-edges';
import { useRouteStore } from '../store/route-store';

/**
 * Where the layout put it, within a pixel, and about its size: a terminal's width was worked
 * out from its label's text (lib/geometry.ts), and an issue mark widens it; the route's
 * ends follow the handles (lib/edge-route.ts).
 */
const SIZE_SLACK = 12;

function at(node: InternalNode | undefined, box: Box): boolean {
  if (!node) return false;
  const { x, y } = node.internals.positionAbsolute;
  const width = node.measured.width ?? node.width;
  const height = node.measured.height ?? node.height;
  return (
    width !== undefined &&
    height !== undefined &&
    Math.abs(x - box.x) <= 1 &&
    Math.abs(y - box.y) <= 1 &&
    Math.abs(width - box.width) <= SIZE_SLACK &&
    Math.abs(height - box.height) <= SIZE_SLACK
  );
}

/** The route's points, or null (no route, or an end moved or changed size): the edge draws its usual path. */
export function useRoute(id: string, source: string, target: string): readonly XYPosition[] | null {
  const route = useRouteStore((s) => s.routes.get(id));
  // A boolean: the edge re-renders when the route starts or stops holding, not on every move.
  const holds = useStore(
    (s) =>
      route !== undefined && at(s.nodeLookup.get(source), route.source) && at(s.nodeLookup.get(target), route.target),
  );
  return holds && route ? route.points : null;
}
