/**
 * The monitor's heat map: where time is spent. A node's heat is the time runs spent
 * there in the window (completed visits × median time) plus the time the runs still
 * there are adding (active and waiting × median), graded 0 (none) to 5 (the most)
 * against the hottest node. The worst bottleneck is the hottest stage (a stage's time
 * holds its steps'), with the step inside it that weighs most. Runs in error count as
 * time spent too, and a node with runs in error (or overdue work: stuck) is flagged even
 * when it has no time-spent figures yet.
 */
import type { NodeFigures } from './live-figures';

export const HEAT_GRADES = 5;

export type Heat = {
  grades: Record<string, number>;
  bottleneck: Bottleneck | null;
  /** Nodes that need ops: runs in error there, or (stuck) overdue work items. */
  flags: Record<string, NodeFlag>;
};

export type NodeFlag = 'error' | 'stuck';

export type Bottleneck = { node: string; step: string | null; seconds: number; share: number };

/** Seconds of time spent at a node in the window (an estimate from the median). */
export function timeSpent(f: NodeFigures): number {
  const median = f.p50 ?? 0;
  return median * (f.completed + f.active + f.waiting + f.error);
}

/** Whether a node needs ops now, whatever its time spent. */
export function nodeFlag(f: NodeFigures): NodeFlag | null {
  return f.error > 0 ? 'error' : f.overdue > 0 ? 'stuck' : null;
}

/** Heat grades per node, and the worst bottleneck. `kinds` says which nodes are stages and which step belongs where. */
export function gradeHeat(
  figures: Readonly<Record<string, NodeFigures>>,
  structure: { stages: ReadonlySet<string>; stageOf: Readonly<Record<string, string>> } = {
    stages: new Set(),
    stageOf: {},
  },
): Heat {
  const spent = Object.entries(figures).map(([id, f]) => [id, timeSpent(f)] as const);
  const hottest = Math.max(0, ...spent.map(([, s]) => s));
  const grades: Record<string, number> = {};
  for (const [id, s] of spent)
    grades[id] = hottest > 0 && s > 0 ? Math.max(1, Math.ceil((s / hottest) * HEAT_GRADES)) : 0;
  const flags: Record<string, NodeFlag> = {};
  for (const [id, f] of Object.entries(figures)) {
    const flag = nodeFlag(f);
    if (flag) flags[id] = flag;
  }

  const candidates = spent.filter(([id, s]) => s > 0 && (structure.stages.size === 0 || structure.stages.has(id)));
  if (candidates.length === 0) return { grades, bottleneck: null, flags };
  const [node, seconds] = candidates.reduce((a, b) => (b[1] > a[1] || (b[1] === a[1] && b[0] < a[0]) ? b : a));
  const total = candidates.reduce((sum, [, s]) => sum + s, 0);
  const steps = spent.filter(([id, s]) => s > 0 && structure.stageOf[id] === node);
  const step = steps.length ? steps.reduce((a, b) => (b[1] > a[1] ? b : a))[0] : null;
  return { grades, bottleneck: { node, step, seconds, share: total > 0 ? seconds / total : 0 }, flags };
}

/** Short human time: 45 s, 12 min, 3.5 h, 2.1 d. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1).replace(/\.0$/, '')} h`;
  return `${(seconds / 86400).toFixed(1).replace(/\.0$/, '')} d`;
}

/** Edge stroke width for how often a path was taken, relative to the busiest edge. */
export function edgeWeight(taken: number, busiest: number): number {
  if (taken <= 0 || busiest <= 0) return 1;
  return 1 + Math.round((taken / busiest) * 5);
}
