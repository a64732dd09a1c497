import { describe, expect, it } from 'vitest';

import { sameNodeContent } from './same-node-content';

describe('sameNodeContent (the node components memo)', () => {
  const data = { label: 'Review' };
  const props: {
    id: string;
    type: string;
    data: Record<string, unknown>;
    selected: boolean;
    positionAbsoluteX?: number;
    width?: number;
  } = {
    id: 'review',
    type: 'interactive',
    data,
    selected: false,
    positionAbsoluteX: 0,
  };

  it('ignores what React Flow passes that nodes do not draw: size (measured later) and position (dragging)', () => {
    const moved = { ...props, positionAbsoluteX: 480, width: 280 };
    expect(sameNodeContent(props, moved)).toBe(true);
  });

  it('redraws for new data, a selection or another type', () => {
    expect(sameNodeContent(props, { ...props, data: { ...data } })).toBe(false);
    expect(sameNodeContent(props, { ...props, selected: true })).toBe(false);
    expect(sameNodeContent(props, { ...props, type: 'wait' })).toBe(false);
  });
});
