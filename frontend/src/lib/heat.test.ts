import { describe, expect, it } from 'vitest';

import { edgeWeight, formatSeconds, gradeHeat, timeSpent } from './heat';
import { EMPTY_NODE } from './live-figures';

const node = (completed: number, p50: number | null, active = 0) => ({
  ...EMPTY_NODE,
  completed,
  active,
  p50,
  p95: p50,
});

describe('heat grading', () => {
  it('grades time spent against the hottest node', () => {
    const { grades } = gradeHeat({
      review: node(10, 3600), // 36,000 s
      legal: node(2, 3600), // 7,200 s
      quick: node(100, 1), // 100 s
      idle: node(0, null),
    });
    expect(grades).toEqual({ review: 5, legal: 1, quick: 1, idle: 0 });
  });

  it('counts the runs still there at the median too', () => {
    expect(timeSpent(node(1, 60, 3))).toBe(240);
  });

  it('calls out the hottest stage as the bottleneck, with its heaviest step', () => {
    const figures = {
      review: node(10, 3600),
      approve: node(10, 3000),
      check: node(10, 600),
      filing: node(10, 600),
      file: node(10, 500),
    };
    const structure = {
      stages: new Set(['review', 'filing']),
      stageOf: { approve: 'review', check: 'review', file: 'filing' },
    };
    const { bottleneck } = gradeHeat(figures, structure);
    expect(bottleneck).toEqual({ node: 'review', step: 'approve', seconds: 36000, share: 36000 / 42000 });
  });

  it('counts runs in error as time spent, and flags error and stuck nodes without any time spent', () => {
    expect(timeSpent({ ...node(1, 60), error: 2 })).toBe(180);
    const { grades, flags } = gradeHeat({
      broken: { ...EMPTY_NODE, error: 1 }, // no median yet: no heat, but flagged
      late: { ...EMPTY_NODE, waiting: 1, overdue: 1 },
      both: { ...node(1, 60), error: 1, overdue: 3 },
      fine: node(3, 60),
    });
    expect(flags).toEqual({ broken: 'error', late: 'stuck', both: 'error' });
    expect(grades.broken).toBe(0);
  });

  it('has no bottleneck before any time is spent', () => {
    expect(gradeHeat({ review: node(0, null) }).bottleneck).toBeNull();
    expect(gradeHeat({}).grades).toEqual({});
  });

  it('formats times and edge weights', () => {
    expect(formatSeconds(null)).toBe('–');
    expect(formatSeconds(42)).toBe('42 s');
    expect(formatSeconds(600)).toBe('10 min');
    expect(formatSeconds(5400)).toBe('1.5 h');
    expect(formatSeconds(86400)).toBe('1 d');
    expect(edgeWeight(0, 10)).toBe(1);
    expect(edgeWeight(10, 10)).toBe(6);
    expect(edgeWeight(5, 10)).toBe(4);
  });
});
