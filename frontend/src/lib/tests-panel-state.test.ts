import { describe, expect, it } from 'vitest';

import type { KeyCoverage, ScenarioResult, TestRun } from './api-schemas';
import { testRunSchema } from './api-schemas';
import {
  INITIAL_TESTS_STATE,
  describeTarget,
  lineOffset,
  parseTarget,
  resultFor,
  scenarioName,
  scenarioTemplate,
  slugify,
  tally,
  testsReducer,
  type TestsAction,
  type TestsState,
} from './tests-panel-state';

const item = (name: string) => ({ name, source: `scenario: 1\nname: ${name}\n`, updated_at: null, updated_by: null });

function coverage(hits: Record<string, number>, missed: string[]): KeyCoverage {
  const c = {
    covered: Object.keys(hits).length,
    total: Object.keys(hits).length + missed.length,
    percent: null,
    missed,
    hits,
  };
  return { nodes: c, outcomes: c, edges: c };
}

function result(name: string, passed: boolean): ScenarioResult {
  return {
    name,
    passed,
    duration_ms: 4,
    failures: passed
      ? []
      : [
          {
            step: 2,
            line: 9,
            kind: 'expect',
            message: 'stage: expected finance, got legal',
            diff: '-finance\n+legal\n',
          },
        ],
  };
}

function response(results: ScenarioResult[], cover: KeyCoverage | null): TestRun {
  return {
    target: 'draft',
    results,
    summary: { passed: results.filter((r) => r.passed).length, failed: 0, duration_ms: 4 },
    coverage: cover,
  };
}

function reduce(actions: TestsAction[], from: TestsState = INITIAL_TESTS_STATE): TestsState {
  return actions.reduce(testsReducer, from);
}

describe('testsReducer', () => {
  it('runs scenarios one by one: progress, results and the coverage of all of them together', () => {
    let state = reduce([
      { type: 'loaded', items: [item('b'), item('a')] },
      { type: 'run-started', names: ['a', 'b'], target: 'draft' },
    ]);
    expect(state.scenarios?.map((s) => s.name)).toEqual(['a', 'b']);
    expect(state.run).toEqual({ names: ['a', 'b'], done: 0, target: 'draft', stopping: false });

    state = testsReducer(state, {
      type: 'scenario-ran',
      name: 'a',
      response: response([result('a', true)], coverage({ legal: 1 }, ['vp'])),
    });
    expect(state.run?.done).toBe(1);
    expect(state.results.a).toMatchObject({ passed: true, stale: false, target: 'draft' });
    expect(tally(state)).toEqual({ passed: 1, failed: 0, notRun: 1 });

    state = testsReducer(state, {
      type: 'scenario-ran',
      name: 'b',
      response: response([result('b', false)], coverage({ vp: 1 }, ['legal'])),
    });
    expect(state.coverage?.nodes.missed).toEqual([]);
    expect(state.coverage?.nodes.hits).toEqual({ legal: 1, vp: 1 });
    expect(state.coverageOf).toEqual({ scenarios: 2, target: 'draft' });
    expect(state.results.b?.failures[0]?.diff).toBe('-finance\n+legal\n');

    state = testsReducer(state, { type: 'run-finished' });
    expect(state.run).toBeNull();
    expect(tally(state)).toEqual({ passed: 1, failed: 1, notRun: 0 });
  });

  it('starts one run at a time, and a new run starts a new coverage', () => {
    const running = reduce([{ type: 'run-started', names: ['a'], target: 3 }]);
    expect(testsReducer(running, { type: 'run-started', names: ['b'], target: 'draft' })).toBe(running);
    const before = {
      ...INITIAL_TESTS_STATE,
      coverage: coverage({ x: 1 }, []),
      coverageOf: { scenarios: 4, target: 'draft' as const },
    };
    const next = testsReducer(before, { type: 'run-started', names: ['a'], target: 'active' });
    expect(next.coverage).toBeNull();
    expect(next.coverageOf).toBeNull();
  });

  it('stops on request and says why a run failed', () => {
    let state = reduce([{ type: 'run-started', names: ['a', 'b'], target: 'draft' }, { type: 'stop' }]);
    expect(state.run?.stopping).toBe(true);
    state = testsReducer(state, { type: 'run-failed', message: 'the draft has errors' });
    expect(state.run).toBeNull();
    expect(state.runError).toBe('the draft has errors');
    expect(testsReducer(INITIAL_TESTS_STATE, { type: 'stop' })).toBe(INITIAL_TESTS_STATE);
  });

  it('ignores a result arriving after the run ended', () => {
    const state = testsReducer(INITIAL_TESTS_STATE, {
      type: 'scenario-ran',
      name: 'a',
      response: response([result('a', true)], null),
    });
    expect(state).toBe(INITIAL_TESTS_STATE);
  });

  it("marks a saved scenario's result as stale, and a rename moves it under the new name", () => {
    let state = reduce([
      { type: 'loaded', items: [item('a'), item('b')] },
      { type: 'run-started', names: ['a', 'b'], target: 'draft' },
      { type: 'scenario-ran', name: 'a', response: response([result('a', true)], null) },
      { type: 'scenario-ran', name: 'b', response: response([result('b', true)], null) },
      { type: 'run-finished' },
    ]);
    state = testsReducer(state, { type: 'saved', item: item('a') });
    expect(state.results.a?.stale).toBe(true);
    state = testsReducer(state, { type: 'saved', item: item('c'), replaces: 'b' });
    expect(state.scenarios?.map((s) => s.name)).toEqual(['a', 'c']);
    expect(state.results.b).toBeUndefined();
    state = testsReducer(state, { type: 'deleted', name: 'a' });
    expect(state.scenarios?.map((s) => s.name)).toEqual(['c']);
    expect(state.results.a).toBeUndefined();
  });

  it('keeps the target, the coverage switch and production figures', () => {
    const state = reduce([
      { type: 'target', target: 2 },
      { type: 'show-coverage', show: true },
      { type: 'production', production: { state: 'failed', message: 'no active version' } },
    ]);
    expect(state).toMatchObject({ target: 2, showCoverage: true, production: { state: 'failed' } });
  });
});

describe('helpers', () => {
  it('finds the result of a scenario by name, else the only one', () => {
    expect(resultFor('x', response([result('Other name', true)], null))?.name).toBe('Other name');
    const stored = response(
      [
        { ...result('Big deal', false), source: 'small-deal' },
        { ...result('Small deal', true), source: 'big-deal' },
      ],
      null,
    );
    expect(resultFor('big-deal', stored)?.name).toBe('Small deal'); // the stored name wins over the file's
    expect(resultFor('b', response([result('a', true), result('b', false)], null))?.passed).toBe(false);
    expect(resultFor('c', response([result('a', true), result('b', false)], null))).toBeUndefined();
  });

  it("reads a scenario file's name, quoted or not, without its comment", () => {
    expect(scenarioName('scenario: 1\nname: Small deal   # the usual\n')).toBe('Small deal');
    expect(scenarioName('name: "Deal #2 \\"big\\""\n')).toBe('Deal #2 "big"');
    expect(scenarioName("name: 'It''s signed'\n")).toBe("It's signed");
    expect(scenarioName('scenario: 1\n  name: nested\n')).toBeNull();
    expect(scenarioName('name: \n')).toBeNull();
    expect(scenarioName(scenarioTemplate('deal'))).toBeNull();
    expect(scenarioTemplate('deal')).toContain('orchestration: deal');
  });

  it('makes a stored name from a human one', () => {
    expect(slugify('The VP rejects a big deal (75k)!')).toBe('the-vp-rejects-a-big-deal-75k');
    expect(slugify('--Ä--')).toBe('');
    expect(slugify('x'.repeat(120))).toHaveLength(100);
  });

  it('turns targets into words and select values back into targets', () => {
    expect(describeTarget('draft')).toBe('the draft');
    expect(describeTarget('active')).toBe('the active version');
    expect(describeTarget(4)).toBe('version 4');
    expect(parseTarget('active')).toBe('active');
    expect(parseTarget('3')).toBe(3);
    expect(parseTarget('-1')).toBe('draft');
  });

  it('finds where a line starts', () => {
    expect(lineOffset('a\nbc\nd', 1)).toBe(0);
    expect(lineOffset('a\nbc\nd', 3)).toBe(5);
    expect(lineOffset('a\nbc', 9)).toBe(4);
  });
});

describe('testRunSchema', () => {
  it('reads a response of POST /tests, and refuses one that does not fit', () => {
    const payload = {
      target: 'draft',
      results: [
        {
          ...result('a', false),
          source: null,
          orchestration: 'deal',
          steps_run: 3,
          run_id: 'r1',
          path: ['legal'],
          coverage: {},
        },
      ],
      summary: { passed: 0, failed: 1, duration_ms: 4 },
      coverage: coverage({ legal: 1 }, []),
    };
    expect(testRunSchema.parse(payload).results[0]?.failures[0]?.line).toBe(9);
    expect(testRunSchema.safeParse({ ...payload, results: [{ name: 'a' }] }).success).toBe(false);
    expect(testRunSchema.safeParse({ ...payload, target: 'tomorrow' }).success).toBe(false);
  });
});
