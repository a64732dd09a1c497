import { describe, expect, it } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import type { CoverageCounts, Insights, KeyCoverage } from './api-schemas';
import { coverageReportSchema } from './api-schemas';
import {
  buildCoverageOverlay,
  canvasShape,
  coverageWords,
  describeCounts,
  hotUntestedHeadline,
  isCovered,
  mergeCoverage,
  nodeTraffic,
} from './coverage';
import { documentToFlow } from './document';
import { parseDocument } from './document-schema';
import { EMPTY_NODE } from './live-figures';

const flow = documentToFlow(parseDocument(structuredClone(contractApproval)));
const shape = canvasShape(flow.nodes, flow.edges);

function counts(hits: Record<string, number>, missed: string[]): CoverageCounts {
  const total = Object.keys(hits).length + missed.length;
  const covered = Object.keys(hits).length;
  return { covered, total, percent: Math.round((covered / total) * 1000) / 10, missed, hits };
}

/** The small-deal path: legal → finance → executive → signed; nothing of revise, vp or withdrawn. */
const SMALL_DEAL: KeyCoverage = {
  nodes: counts(
    {
      legal: 1,
      legal_review: 1,
      legal_ok: 1,
      finance: 1,
      finance_review: 1,
      finance_ok: 1,
      deal_size: 1,
      executive: 1,
      sign: 1,
      mark_signed: 1,
      signed: 1,
    },
    [
      'vp',
      'vp_approval',
      'vp_ok',
      'revise',
      'mark_in_revision',
      'revise_contract',
      'apply_revision',
      'resubmitted',
      'withdrawn',
    ],
  ),
  outcomes: counts({ 'legal_ok:default': 1, 'finance_ok:default': 1, 'deal_size:default': 1 }, [
    'legal_ok:sent_back',
    'finance_ok:rejected',
    'deal_size:big',
    'vp_ok:rejected',
    'vp_ok:default',
    'resubmitted:withdrawn',
    'resubmitted:default',
  ]),
  edges: counts({ e_start: 1, e_legal: 1, e_legal_ok: 1, e_finance: 1, e_finance_ok: 1, e_small: 1, e_signed: 1 }, [
    'e_legal_back',
    'e_finance_back',
    'e_big',
    'e_vp',
    'e_vp_back',
    'e_vp_ok',
    'e_revised',
    'e_again',
    'e_withdrawn',
  ]),
};

function figures(nodes: Record<string, Partial<typeof EMPTY_NODE>>, edges: Record<string, number>): Insights {
  return {
    nodes: Object.fromEntries(Object.entries(nodes).map(([id, f]) => [id, { ...EMPTY_NODE, ...f }])),
    edges: Object.fromEntries(Object.entries(edges).map(([id, taken]) => [id, { taken }])),
  };
}

describe('canvasShape', () => {
  it('names the outcome of each decision edge, default included, and nothing for other edges', () => {
    const byId = Object.fromEntries(shape.edges.map((e) => [e.id, e]));
    expect(byId.e_big).toMatchObject({ source: 'deal_size', outcome: 'big' });
    expect(byId.e_small).toMatchObject({ outcome: 'default' });
    expect(byId.e_legal?.outcome).toBeNull();
    expect(shape.nodes.find((n) => n.id === 'legal')).toEqual({ id: 'legal', type: 'stage', label: 'Legal review' });
  });
});

describe('isCovered', () => {
  it('tells covered, missed and not counted apart', () => {
    const c = counts({ a: 2, z: 0 }, ['b']);
    expect(isCovered(c, 'a')).toBe(true);
    expect(isCovered(c, 'b')).toBe(false);
    expect(isCovered(c, 'z')).toBe(false);
    expect(isCovered(c, 'start')).toBeUndefined();
  });
});

describe('buildCoverageOverlay', () => {
  it('marks covered and uncovered nodes, outcomes and edges, and nothing hot without production figures', () => {
    const overlay = buildCoverageOverlay(SMALL_DEAL, shape, null);
    expect(overlay.nodes.legal).toEqual({ state: 'covered', hits: 1, traffic: null });
    expect(overlay.nodes.revise_contract).toEqual({ state: 'uncovered', hits: 0, traffic: null });
    expect(overlay.nodes.start).toBeUndefined(); // start is never counted
    expect(overlay.edges.e_big?.state).toBe('uncovered');
    expect(overlay.edges.e_small?.state).toBe('covered');
    expect(overlay.outcomes.deal_size).toEqual({
      big: { state: 'uncovered', hits: 0, traffic: null },
      default: { state: 'covered', hits: 1, traffic: null },
    });
    expect(overlay.hotUntested).toEqual([]);
  });

  it('flags what production takes but no scenario reaches, busiest first, edges and steps only', () => {
    const production = figures(
      {
        legal: { completed: 40 },
        vp: { completed: 12, active: 3 },
        vp_approval: { completed: 12, active: 3 },
        revise_contract: { waiting: 0, active: 2, failed: 1 },
        withdrawn: {},
      },
      { e_start: 45, e_legal_ok: 38, e_big: 15, e_vp: 12, e_legal_back: 2, e_withdrawn: 0 },
    );
    const overlay = buildCoverageOverlay(SMALL_DEAL, shape, production);
    expect(overlay.nodes.legal).toEqual({ state: 'covered', hits: 1, traffic: 40 });
    expect(overlay.nodes.vp).toEqual({ state: 'hot-untested', hits: 0, traffic: 15 });
    expect(overlay.nodes.withdrawn).toEqual({ state: 'uncovered', hits: 0, traffic: 0 });
    expect(overlay.edges.e_withdrawn?.state).toBe('uncovered');
    expect(overlay.edges.e_big).toEqual({ state: 'hot-untested', hits: 0, traffic: 15 });
    expect(overlay.outcomes.deal_size?.big).toEqual({ state: 'hot-untested', hits: 0, traffic: 15 });
    expect(overlay.outcomes.legal_ok?.sent_back?.state).toBe('hot-untested');
    expect(overlay.hotUntested.map((h) => [h.kind, h.id, h.traffic])).toEqual([
      ['edge', 'e_big', 15],
      ['step', 'vp_approval', 15],
      ['edge', 'e_vp', 12],
      ['step', 'revise_contract', 3],
      ['edge', 'e_legal_back', 2],
    ]);
    expect(overlay.hotUntested[0]?.text).toBe('Deal size → VP approval (big)');
    expect(overlay.hotUntested.find((h) => h.id === 'vp_approval')?.text).toMatch(/^Step /);
  });

  it('gives no state to nodes the report does not know (added to the draft after the tested version)', () => {
    const extra = { ...shape, nodes: [...shape.nodes, { id: 'new_stage', type: 'stage', label: 'New' }] };
    expect(
      buildCoverageOverlay(SMALL_DEAL, extra, figures({ new_stage: { completed: 5 } }, {})).nodes.new_stage,
    ).toBeUndefined();
  });
});

describe('mergeCoverage', () => {
  it('adds hits and keeps missed only what both runs missed', () => {
    const other: KeyCoverage = {
      nodes: counts({ legal: 1, vp: 2 }, ['withdrawn', 'revise']),
      outcomes: counts({ 'deal_size:big': 1 }, ['deal_size:default']),
      edges: counts({ e_big: 1 }, ['e_withdrawn']),
    };
    const merged = mergeCoverage(SMALL_DEAL, other);
    expect(merged?.nodes.hits.legal).toBe(2);
    expect(merged?.nodes.hits.vp).toBe(2);
    expect(merged?.nodes.missed).toEqual(['revise', 'withdrawn']);
    expect(merged?.nodes.covered).toBe(merged!.nodes.total - 2);
    expect(merged?.outcomes.missed).not.toContain('deal_size:big');
    expect(merged?.edges.percent).toBeCloseTo((15 / 16) * 100, 0);
    expect(mergeCoverage(null, other)).toBe(other);
    expect(mergeCoverage(other, null)).toBe(other);
  });
});

describe('words', () => {
  it('says how many paths production takes untested', () => {
    expect(hotUntestedHeadline(0)).toBe('Every path taken in production has a test');
    expect(hotUntestedHeadline(1)).toBe('1 path taken in production has no test');
    expect(hotUntestedHeadline(3)).toBe('3 paths taken in production have no test');
  });

  it('describes counts and marks, never by colour alone', () => {
    expect(describeCounts(SMALL_DEAL.nodes)).toBe('55 % (11 of 20)');
    expect(coverageWords({ state: 'covered', hits: 3, traffic: 9 })).toEqual({
      icon: '✓',
      mark: '✓ 3',
      title: 'Tested: reached 3 times by the scenarios, 9 times in production',
    });
    expect(coverageWords({ state: 'uncovered', hits: 0, traffic: null }).mark).toBe('○ untested');
    expect(coverageWords({ state: 'hot-untested', hits: 0, traffic: 7 }).title).toContain('7 times in production');
  });

  it('counts production traffic at a node from visits done and under way', () => {
    expect(nodeTraffic(undefined)).toBe(0);
    expect(nodeTraffic({ ...EMPTY_NODE, completed: 4, failed: 1, active: 2, waiting: 3, error: 1, overdue: 2 })).toBe(
      10,
    );
  });
});

describe('coverageReportSchema', () => {
  it('reads the section of the key, or the whole report of one orchestration', () => {
    expect(coverageReportSchema.parse(SMALL_DEAL)).toMatchObject({ nodes: { covered: 11 } });
    const whole = { orchestrations: { contract_approval: SMALL_DEAL }, total: SMALL_DEAL };
    expect(coverageReportSchema.parse(whole)).toMatchObject({ edges: { covered: 7 } });
    expect(coverageReportSchema.safeParse({ nodes: { covered: 'all' } }).success).toBe(false);
  });
});
