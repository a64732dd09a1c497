/**
 * What the builder's Tests panel knows, as a reducer: the orchestration's stored
 * scenarios, each one's last result, the run in progress (scenarios are run one
 * request at a time, so the panel can say how far it is and stop), the coverage of
 * the last run and the production figures shown next to it.
 */
import type { Insights, KeyCoverage, ScenarioItem, ScenarioResult, TestRun, TestTarget } from './api-schemas';
import { mergeCoverage } from './coverage';

/** A result, and whether the scenario was changed since it ran. */
export type LastResult = ScenarioResult & { stale: boolean; target: TestTarget };

export type RunProgress = { names: readonly string[]; done: number; target: TestTarget; stopping: boolean };

export type Production =
  | { state: 'off' }
  | { state: 'loading' }
  | { state: 'ready'; figures: Insights }
  | { state: 'failed'; message: string };

export type TestsState = {
  scenarios: readonly ScenarioItem[] | null;
  loadError: string | null;
  results: Readonly<Record<string, LastResult>>;
  target: TestTarget;
  run: RunProgress | null;
  runError: string | null;
  coverage: KeyCoverage | null;
  /** Which run the coverage is of: how many scenarios, against what. */
  coverageOf: { scenarios: number; target: TestTarget } | null;
  showCoverage: boolean;
  production: Production;
};

export type TestsAction =
  | { type: 'loaded'; items: readonly ScenarioItem[] }
  | { type: 'load-failed'; message: string }
  | { type: 'target'; target: TestTarget }
  | { type: 'run-started'; names: readonly string[]; target: TestTarget }
  | { type: 'scenario-ran'; name: string; response: TestRun }
  | { type: 'stop' }
  | { type: 'run-finished' }
  | { type: 'run-failed'; message: string }
  | { type: 'saved'; item: ScenarioItem; replaces?: string }
  | { type: 'deleted'; name: string }
  | { type: 'show-coverage'; show: boolean }
  | { type: 'production'; production: Production };

export const INITIAL_TESTS_STATE: TestsState = {
  scenarios: null,
  loadError: null,
  results: {},
  target: 'draft',
  run: null,
  runError: null,
  coverage: null,
  coverageOf: null,
  showCoverage: false,
  production: { state: 'off' },
};

/** The result of `name` in a response to running it: the one so named, else the only one. */
export function resultFor(name: string, response: TestRun): ScenarioResult | undefined {
  // The server sets `source` to the stored name; `name` is the file's own (human) name.
  return (
    response.results.find((r) => r.source === name) ??
    response.results.find((r) => r.name === name) ??
    (response.results.length === 1 ? response.results[0] : undefined)
  );
}

function sortByName(items: readonly ScenarioItem[]): ScenarioItem[] {
  return [...items].sort((a, b) => a.name.localeCompare(b.name));
}

function without<T>(record: Readonly<Record<string, T>>, name: string): Record<string, T> {
  const { [name]: _gone, ...rest } = record;
  return rest;
}

export function testsReducer(state: TestsState, action: TestsAction): TestsState {
  switch (action.type) {
    case 'loaded':
      return { ...state, scenarios: sortByName(action.items), loadError: null };
    case 'load-failed':
      return { ...state, loadError: action.message };
    case 'target':
      return { ...state, target: action.target };
    case 'run-started':
      if (state.run) return state;
      return {
        ...state,
        run: { names: action.names, done: 0, target: action.target, stopping: false },
        runError: null,
        coverage: null,
        coverageOf: null,
      };
    case 'scenario-ran': {
      if (!state.run) return state;
      const result = resultFor(action.name, action.response);
      const results = result
        ? { ...state.results, [action.name]: { ...result, stale: false, target: state.run.target } }
        : state.results;
      const done = state.run.done + 1;
      return {
        ...state,
        results,
        run: { ...state.run, done },
        coverage: mergeCoverage(state.coverage, action.response.coverage),
        coverageOf: { scenarios: done, target: state.run.target },
      };
    }
    case 'stop':
      return state.run ? { ...state, run: { ...state.run, stopping: true } } : state;
    case 'run-finished':
      return { ...state, run: null };
    case 'run-failed':
      return { ...state, run: null, runError: action.message };
    case 'saved': {
      const kept = (state.scenarios ?? []).filter((s) => s.name !== action.item.name && s.name !== action.replaces);
      let results =
        action.replaces && action.replaces !== action.item.name
          ? without(state.results, action.replaces)
          : state.results;
      const last = results[action.item.name];
      if (last) results = { ...results, [action.item.name]: { ...last, stale: true } };
      return { ...state, scenarios: sortByName([...kept, action.item]), results };
    }
    case 'deleted':
      return {
        ...state,
        scenarios: (state.scenarios ?? []).filter((s) => s.name !== action.name),
        results: without(state.results, action.name),
      };
    case 'show-coverage':
      return { ...state, showCoverage: action.show };
    case 'production':
      return { ...state, production: action.production };
  }
}

/** Passed and failed among the scenarios listed (results of deleted ones do not count). */
export function tally(state: TestsState): { passed: number; failed: number; notRun: number } {
  const counts = { passed: 0, failed: 0, notRun: 0 };
  for (const scenario of state.scenarios ?? []) {
    const result = state.results[scenario.name];
    if (!result) counts.notRun += 1;
    else if (result.passed) counts.passed += 1;
    else counts.failed += 1;
  }
  return counts;
}

/** "the draft", "the active version", "version 3". */
export function describeTarget(target: TestTarget): string {
  if (target === 'draft') return 'the draft';
  if (target === 'active') return 'the active version';
  return `version ${target}`;
}

/** The target a `<select>` value stands for. */
export function parseTarget(value: string): TestTarget {
  if (value === 'draft' || value === 'active') return value;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : 'draft';
}

/** The top-level `name:` of a scenario file (its human name), or null. */
export function scenarioName(source: string): string | null {
  const line = /^name:[ \t]*(.*)$/m.exec(source)?.[1]?.trim() ?? '';
  const double = /^"((?:[^"\\]|\\.)*)"/.exec(line);
  if (double) return (double[1] ?? '').replace(/\\(.)/g, '$1').trim() || null;
  const single = /^'((?:[^']|'')*)'/.exec(line);
  if (single) return (single[1] ?? '').replaceAll("''", "'").trim() || null;
  return line.replace(/\s+#.*$/, '').trim() || null;
}

/** A stored name (a slug: letters, digits, '_', '.', '-') made from a scenario's human name. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 100)
    .replace(/[-.]+$/, '');
}

/** A new scenario's file: the required keys, for the admin to fill in. */
export function scenarioTemplate(orchestration: string): string {
  return [
    'scenario: 1',
    'name: ',
    `orchestration: ${orchestration}`,
    'personas:',
    '  requester: {user: sam}',
    'steps:',
    '  - start: {as: requester, inputs: {}}',
    '  - expect: {status: in_progress}',
    '',
  ].join('\n');
}

/** The character offset where 1-based `line` starts in `text` (to put the caret there). */
export function lineOffset(text: string, line: number): number {
  let offset = 0;
  for (let n = 1; n < line; n += 1) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return offset;
}
