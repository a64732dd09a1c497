/**
 * Whether a node component would draw the same: our nodes draw their id, type, data and
 * whether they are selected, never the size or position React Flow also passes. So a
 * node does not re-render when React Flow measures it (its size arrives after the first
 * render) or while it is dragged (its position changes on every move): with 500 nodes on
 * the canvas, that is what keeps opening and dragging quick.
 */
import type { NodeProps } from '@xyflow/react';

type Drawn = Pick<NodeProps, 'id' | 'type' | 'data' | 'selected'>;

export function sameNodeContent(before: Drawn, after: Drawn): boolean {
  return (
    before.id === after.id &&
    before.type === after.type &&
    before.data === after.data &&
    before.selected === after.selected
  );
}
