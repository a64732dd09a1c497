/**
 * The Tests panel's coverage overlay: which nodes, decision outcomes and edges the
 * scenarios went through (the server's `Coverage.report()`, runtime/testing/SCENARIOS.md),
 * next to how often production runs go there (the monitor's insights). A part of the
 * flow that production uses but no scenario reaches is "hot, untested": the overlay
 * makes it the most visible, and the panel lists those parts, busiest first.
 */
import type { CoverageCounts, Insights, KeyCoverage } from './api-schemas';
import { DEFAULT_OUTCOME, isStepType, type FlowEdge, type FlowNode } from './document';
import type { NodeFigures } from './live-figures';

export type CoverageState = 'covered' | 'uncovered' | 'hot-untested';

/** One element on the canvas: whether the scenarios reached it, how often, and production's count (null: no figures). */
export type ElementCoverage = { state: CoverageState; hits: number; traffic: number | null };

/** What the overlay needs of the canvas: ids, kinds, labels and how edges leave their nodes. */
export type CanvasShape = {
  nodes: readonly { id: string; type: string; label: string }[];
  edges: readonly { id: string; source: string; target: string; outcome: string | null }[];
};

/** A part of the flow production takes that no scenario reaches: an edge, or a step (steps have no edges). */
export type HotUntested = { kind: 'edge' | 'step'; id: string; traffic: number; text: string };

export type CoverageOverlay = {
  nodes: Readonly<Record<string, ElementCoverage>>;
  edges: Readonly<Record<string, ElementCoverage>>;
  /** Decision id → outcome id (`default` included) → its coverage. */
  outcomes: Readonly<Record<string, Readonly<Record<string, ElementCoverage>>>>;
  /** Busiest first. */
  hotUntested: readonly HotUntested[];
};

export function canvasShape(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): CanvasShape {
  const decisions = new Set(nodes.filter((n) => n.type === 'decision').map((n) => n.id));
  return {
    nodes: nodes.map((n) => ({ id: n.id, type: n.type, label: n.data.label || n.id })),
    edges: edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      outcome: decisions.has(e.source) ? (e.sourceHandle ?? DEFAULT_OUTCOME) : null,
    })),
  };
}

/** Times production passed a node: visits completed or failed in the window, and those there now. */
export function nodeTraffic(figures: NodeFigures | undefined): number {
  if (!figures) return 0;
  return figures.completed + figures.failed + figures.active + figures.waiting;
}

/** true: reached; false: listed as missed (or zero hits); undefined: the report does not count it. */
export function isCovered(counts: CoverageCounts, id: string): boolean | undefined {
  const hits = counts.hits[id];
  if (hits !== undefined && hits > 0) return true;
  if (hits === 0 || counts.missed.includes(id)) return false;
  return undefined;
}

function element(counts: CoverageCounts, id: string, traffic: number | null): ElementCoverage | undefined {
  const covered = isCovered(counts, id);
  if (covered === undefined) return undefined;
  const state: CoverageState = covered ? 'covered' : traffic !== null && traffic > 0 ? 'hot-untested' : 'uncovered';
  return { state, hits: counts.hits[id] ?? 0, traffic };
}

/** The words for an edge in the panel: "Legal review → Revise (sent_back)". */
function edgeText(edge: CanvasShape['edges'][number], labels: ReadonlyMap<string, string>): string {
  const outcome = edge.outcome !== null ? ` (${edge.outcome === DEFAULT_OUTCOME ? 'otherwise' : edge.outcome})` : '';
  return `${labels.get(edge.source) ?? edge.source} → ${labels.get(edge.target) ?? edge.target}${outcome}`;
}

/**
 * Merges the coverage report with production figures into a state per node, outcome
 * and edge of the canvas. Elements the report does not count (start; a node added to
 * the draft after the tested version) get no state. Without production figures
 * nothing is hot.
 */
export function buildCoverageOverlay(
  report: KeyCoverage,
  shape: CanvasShape,
  production: Insights | null,
): CoverageOverlay {
  const labels = new Map(shape.nodes.map((n) => [n.id, n.label]));
  const nodes: Record<string, ElementCoverage> = {};
  const edges: Record<string, ElementCoverage> = {};
  const outcomes: Record<string, Record<string, ElementCoverage>> = {};
  const hot: HotUntested[] = [];

  for (const node of shape.nodes) {
    if (node.type === 'start') continue;
    const state = element(report.nodes, node.id, production ? nodeTraffic(production.nodes[node.id]) : null);
    if (!state) continue;
    nodes[node.id] = state;
    if (state.state === 'hot-untested' && isStepType(node.type)) {
      hot.push({ kind: 'step', id: node.id, traffic: state.traffic ?? 0, text: `Step ${node.label}` });
    }
  }

  const outcomeTraffic = new Map<string, number>();
  for (const edge of shape.edges) {
    const taken = production ? (production.edges[edge.id]?.taken ?? 0) : null;
    if (edge.outcome !== null && taken !== null) {
      const key = `${edge.source}:${edge.outcome}`;
      outcomeTraffic.set(key, (outcomeTraffic.get(key) ?? 0) + taken);
    }
    const state = element(report.edges, edge.id, taken);
    if (!state) continue;
    edges[edge.id] = state;
    if (state.state === 'hot-untested')
      hot.push({ kind: 'edge', id: edge.id, traffic: taken ?? 0, text: edgeText(edge, labels) });
  }

  for (const edge of shape.edges) {
    if (edge.outcome === null) continue;
    const key = `${edge.source}:${edge.outcome}`;
    const state = element(report.outcomes, key, production ? (outcomeTraffic.get(key) ?? 0) : null);
    if (state) (outcomes[edge.source] ??= {})[edge.outcome] = state;
  }

  hot.sort((a, b) => b.traffic - a.traffic || a.id.localeCompare(b.id));
  return { nodes, edges, outcomes, hotUntested: hot };
}

function mergeCounts(a: CoverageCounts, b: CoverageCounts): CoverageCounts {
  const hits: Record<string, number> = { ...a.hits };
  for (const [id, n] of Object.entries(b.hits)) hits[id] = (hits[id] ?? 0) + n;
  const missedByB = new Set(b.missed);
  const missed = a.missed.filter((id) => missedByB.has(id));
  const total = Math.max(a.total, b.total);
  const covered = total - missed.length;
  return { covered, total, percent: total > 0 ? Math.round((covered / total) * 1000) / 10 : null, missed, hits };
}

/** The coverage of two runs of scenarios together (of the same orchestration and target). */
export function mergeCoverage(a: KeyCoverage | null, b: KeyCoverage | null): KeyCoverage | null {
  if (!a) return b;
  if (!b) return a;
  return {
    nodes: mergeCounts(a.nodes, b.nodes),
    outcomes: mergeCounts(a.outcomes, b.outcomes),
    edges: mergeCounts(a.edges, b.edges),
  };
}

/** "3 paths taken in production have no test". */
export function hotUntestedHeadline(count: number): string {
  if (count === 0) return 'Every path taken in production has a test';
  return count === 1 ? '1 path taken in production has no test' : `${count} paths taken in production have no test`;
}

/** "85.7 % (18 of 21)". */
export function describeCounts(counts: CoverageCounts): string {
  const percent = counts.percent ?? (counts.total > 0 ? Math.round((counts.covered / counts.total) * 1000) / 10 : 100);
  return `${percent} % (${counts.covered} of ${counts.total})`;
}

/** What a node, outcome or edge says about its coverage: an icon, a short mark (starting with it) and a sentence. */
export function coverageWords(coverage: ElementCoverage): { icon: string; mark: string; title: string } {
  const production = coverage.traffic !== null ? `, ${coverage.traffic} times in production` : '';
  switch (coverage.state) {
    case 'covered':
      return {
        icon: '✓',
        mark: `✓ ${coverage.hits}`,
        title: `Tested: reached ${coverage.hits} times by the scenarios${production}`,
      };
    case 'uncovered':
      return { icon: '○', mark: '○ untested', title: `Not reached by any scenario${production}` };
    case 'hot-untested':
      return {
        icon: '⚠',
        mark: '⚠ hot, untested',
        title: `Not reached by any scenario, but taken ${coverage.traffic ?? 0} times in production`,
      };
  }
}
