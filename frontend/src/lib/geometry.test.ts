import { describe, expect, it } from 'vitest';

import type { FlowNode } from './document';
import { DECISION_ROW, DECISION_TOP, DECISION_WIDTH, layoutSizeOf, outcomeHandleY, sizeOf } from './geometry';

const decision = (outcomes: number): FlowNode => ({
  id: 'd',
  type: 'decision',
  position: { x: 0, y: 0 },
  data: { label: 'Route', outcomes: Array.from({ length: outcomes }, (_, i) => ({ id: `o${i}`, condition: 'true' })) },
});

describe('the sizes a layout takes before anything is measured', () => {
  it('gives a decision one fixed row per outcome and one for "Otherwise", its handles in the middle of each', () => {
    expect(layoutSizeOf(decision(2))).toEqual({ width: DECISION_WIDTH, height: DECISION_TOP + 3 * DECISION_ROW + 7.5 });
    expect(layoutSizeOf(decision(0))?.height).toBe(DECISION_TOP + DECISION_ROW + 7.5);
    expect(outcomeHandleY(1) - outcomeHandleY(0)).toBe(DECISION_ROW);
    expect(outcomeHandleY(0)).toBe(DECISION_TOP + DECISION_ROW / 2);
  });

  it('makes a terminal as wide as its label needs, never narrower than it is high', () => {
    const end = (label: string): FlowNode => ({ id: 'e', type: 'end', position: { x: 0, y: 0 }, data: { label } });
    const short = layoutSizeOf(end('A'))!;
    const long = layoutSizeOf(end('Contract signed and archived'))!;
    expect(short).toEqual({ width: 56, height: 56 });
    expect(long.width).toBeGreaterThan(150);
    expect(long.height).toBe(56);
  });

  it('leaves measured and set sizes to the nodes that have them; steps and stages have none of their own', () => {
    const step: FlowNode = {
      id: 's',
      type: 'wait',
      position: { x: 0, y: 0 },
      data: { label: 'S' },
      measured: { width: 300, height: 60 },
    };
    expect(layoutSizeOf(step)).toBeUndefined();
    expect(sizeOf(step)).toEqual({ width: 300, height: 60 });
    expect(sizeOf({ ...decision(1), measured: { width: 210, height: 99 } })).toEqual({ width: 210, height: 99 });
  });
});
