import { describe, expect, it } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { LOOP_CLEARANCE, backEdgesOf, findBackEdges, loopFloor, loopPath, roundedPath } from './back-edges';

const edge = (id: string, source: string, target: string) => ({ id, source, target });

describe('findBackEdges', () => {
  it('finds the edge that returns to a node on the way from the start', () => {
    expect(findBackEdges(contractApproval.edges)).toEqual(new Set(['e_again']));
  });

  it('finds a decision sending back to its stage, and a loop to a node not reached from the start', () => {
    const edges = [
      edge('in', 'start', 'a'),
      edge('check', 'a', 'd'),
      edge('again', 'd', 'a'),
      edge('on', 'd', 'end'),
      edge('x_y', 'x', 'y'),
      edge('y_x', 'y', 'x'), // x and y: a cycle nothing leads to
    ];
    expect(findBackEdges(edges)).toEqual(new Set(['again', 'y_x']));
  });

  it('finds none in a graph without cycles, however its edges are ordered', () => {
    expect(findBackEdges([edge('3', 'c', 'd'), edge('2', 'b', 'c'), edge('1', 'a', 'b'), edge('4', 'a', 'c')])).toEqual(
      new Set(),
    );
  });

  it('walks a long chain without overflowing the stack', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => edge(`e${i}`, `n${i}`, `n${i + 1}`));
    expect(findBackEdges([...chain, edge('back', 'n20000', 'n0')])).toEqual(new Set(['back']));
  });

  it('works out the answer once per edges array', () => {
    const edges = [edge('a', 'x', 'y'), edge('b', 'y', 'x')];
    expect(backEdgesOf(edges)).toBe(backEdgesOf(edges));
    expect(backEdgesOf([...edges])).not.toBe(backEdgesOf(edges));
  });
});

describe('loop geometry', () => {
  const legal = { x: 0, y: 0, width: 320, height: 200 };
  const decision = { x: 1000, y: 40, width: 160, height: 72 };

  it('runs below both ends, and below a node in between that reaches lower', () => {
    expect(loopFloor(decision, legal, [])).toBe(200 + LOOP_CLEARANCE);
    const tall = { x: 500, y: 20, width: 320, height: 400 };
    expect(loopFloor(decision, legal, [tall])).toBe(420 + LOOP_CLEARANCE);
  });

  it('ignores nodes beside the span, above it, or far enough below to pass over', () => {
    const beside = { x: 2000, y: 0, width: 320, height: 900 };
    const above = { x: 500, y: -500, width: 100, height: 100 };
    const below = { x: 500, y: 200 + 2 * LOOP_CLEARANCE, width: 320, height: 300 };
    expect(loopFloor(decision, legal, [beside, above, below])).toBe(200 + LOOP_CLEARANCE);
    const close = { ...below, y: below.y - 1 }; // the loop would graze it: it goes under it too
    expect(loopFloor(decision, legal, [close])).toBe(close.y + 300 + LOOP_CLEARANCE);
  });

  it('is pushed down by nodes that overlap each other in turn', () => {
    const first = { x: 400, y: 180, width: 100, height: 60 }; // reaches 240
    const second = { x: 600, y: 250, width: 100, height: 60 }; // starts within the clearance of 240: reaches 310
    expect(loopFloor(decision, legal, [second, first])).toBe(310 + LOOP_CLEARANCE);
  });

  it('leaves the source to the right, runs along the floor and enters the target from the left', () => {
    const [path, labelX, labelY] = loopPath({ x: 1160, y: 76 }, { x: 0, y: 100 }, 300);
    expect(path.startsWith('M 1160 76 L')).toBe(true);
    expect(path.endsWith('L 0 100')).toBe(true);
    const out = 1160 + LOOP_CLEARANCE;
    const back = -LOOP_CLEARANCE;
    // Rounded corners at (out, 76), (out, 300), (back, 300), (back, 100).
    for (const [x, y] of [
      [out, 76],
      [out, 300],
      [back, 300],
      [back, 100],
    ])
      expect(path).toContain(`Q ${x} ${y} `);
    expect([labelX, labelY]).toEqual([(out + back) / 2, 300]);
  });

  it('rounds corners no more than half the shorter leg', () => {
    expect(
      roundedPath(
        [
          { x: 0, y: 0 },
          { x: 10, y: 0 },
          { x: 10, y: 100 },
        ],
        16,
      ),
    ).toBe('M 0 0 L 5 0 Q 10 0 10 5 L 10 100');
    expect(roundedPath([], 16)).toBe('');
  });
});
