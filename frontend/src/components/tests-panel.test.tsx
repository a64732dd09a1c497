// @vitest-environment happy-dom
import { ReactFlowProvider } from '@xyflow/react';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { useTestsOverlay, useTestsStore } from '../hooks/use-tests';
import { setCsrfToken } from '../lib/api';
import { parseDocument } from '../lib/document-schema';
import { EMPTY_NODE } from '../lib/live-figures';
import { useCoverageStore } from '../store/coverage-store';
import { useSessionStore } from '../store/session-store';
import { flowStore } from '../store/use-flow-store';
import { FlowCanvas } from './flow-canvas';
import { TestsPanel } from './tests-panel';

const KEY = 'contract_approval';
const BASE = `/api/orchestrations/${KEY}`;

const SMALL = 'scenario: 1\nname: Small deal\norchestration: contract_approval\nsteps:\n  - start: {}\n';
const BIG = 'scenario: 1\nname: Big deal\norchestration: contract_approval\nsteps:\n  - start: {}\n';

function counts(hits: Record<string, number>, missed: string[]) {
  const covered = Object.keys(hits).length;
  return {
    covered,
    total: covered + missed.length,
    percent: Math.round((covered / (covered + missed.length)) * 1000) / 10,
    missed,
    hits,
  };
}

const COVERAGE = {
  nodes: counts({ legal: 1, legal_review: 1, legal_ok: 1, finance: 1, deal_size: 1, executive: 1, signed: 1 }, [
    'vp',
    'vp_approval',
    'revise',
    'withdrawn',
  ]),
  outcomes: counts({ 'deal_size:default': 1 }, ['deal_size:big']),
  edges: counts({ e_start: 1, e_small: 1 }, ['e_big', 'e_withdrawn']),
};

const FAILURE = {
  step: 1,
  line: 5,
  kind: 'expect',
  message: 'stage: expected finance, got legal',
  expected: { stage: 'finance' },
  actual: { stage: 'legal' },
  diff: '--- expected\n+++ actual\n-stage: finance\n+stage: legal\n',
};

type Call = { url: string; method: string; body: unknown };

function server(overrides: (call: Call) => Response | undefined = () => undefined) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call = {
      url,
      method: init?.method ?? 'GET',
      body: init?.body ? (JSON.parse(init.body as string) as unknown) : undefined,
    };
    calls.push(call);
    const answer = overrides(call);
    if (answer) return answer;
    if (url === `${BASE}/scenarios` && call.method === 'GET') {
      return Response.json({
        items: [
          { name: 'small-deal', source: SMALL, updated_at: '2026-11-26T09:00:00+00:00', updated_by: 'ada' },
          { name: 'big-deal', source: BIG, updated_at: null, updated_by: null },
        ],
      });
    }
    if (url === `${BASE}/tests`) {
      const name = (call.body as { names: string[] }).names[0];
      const passed = name === 'small-deal';
      return Response.json({
        target: (call.body as { target: unknown }).target,
        results: [
          {
            name: passed ? 'Small deal' : 'Big deal',
            source: name,
            orchestration: KEY,
            passed,
            failures: passed ? [] : [FAILURE],
            duration_ms: 3.2,
            steps_run: 2,
            run_id: 'r1',
            path: ['legal'],
          },
        ],
        summary: { passed: passed ? 1 : 0, failed: passed ? 0 : 1, duration_ms: 3.2 },
        coverage: { orchestrations: { [KEY]: COVERAGE }, total: COVERAGE },
      });
    }
    if (url.startsWith(`${BASE}/scenarios/`) && call.method === 'PUT') {
      const name = decodeURIComponent(url.slice(`${BASE}/scenarios/`.length));
      return Response.json({
        name,
        source: (call.body as { source: string }).source,
        updated_at: '2026-11-26T10:00:00+00:00',
        updated_by: 'ada',
      });
    }
    if (call.method === 'DELETE') return new Response(null, { status: 204 });
    if (url === `${BASE}/insights`) {
      return Response.json({
        orchestration: KEY,
        version: null,
        window: 'all',
        at: '2026-11-26T10:00:00+00:00',
        nodes: {
          legal: { ...EMPTY_NODE, completed: 30 },
          vp: { ...EMPTY_NODE, completed: 9 },
          vp_approval: { ...EMPTY_NODE, completed: 9 },
        },
        edges: { e_start: { taken: 30 }, e_big: { taken: 9 }, e_small: { taken: 21 } },
      });
    }
    return Response.json({ error: { code: 'not_found', message: `no ${url}` } }, { status: 404 });
  });
  vi.stubGlobal('fetch', fetch);
  return calls;
}

function Harness({ beforeRun = async () => {} }: { beforeRun?: () => Promise<void> }) {
  useTestsOverlay(KEY);
  return (
    <ReactFlowProvider>
      <TestsPanel
        orchestrationKey={KEY}
        versions={[{ number: 1, created_at: '2026-11-01T00:00:00Z' }]}
        activeVersion={1}
        beforeRun={beforeRun}
      />
      <div style={{ width: 1200, height: 800 }}>
        <FlowCanvas />
      </div>
    </ReactFlowProvider>
  );
}

beforeEach(() => {
  flowStore.getState().load(parseDocument(structuredClone(contractApproval)));
  setCsrfToken('csrf-1');
  useSessionStore.setState({ user: { username: 'ada', role: 'admin' } });
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('TestsPanel', () => {
  it('runs every scenario against the saved draft, one by one, and shows why one failed', async () => {
    const calls = server();
    const beforeRun = vi.fn(async () => {});
    render(<Harness beforeRun={beforeRun} />);
    const list = await screen.findByRole('list', { name: 'Scenarios' });
    expect(
      within(list)
        .getAllByRole('listitem')
        .map((li) => li.dataset.testid),
    ).toEqual(['scenario-big-deal', 'scenario-small-deal']);
    expect(screen.getByTestId('tests-tally').textContent).toBe('0 passed, 0 failed, 2 not run');

    fireEvent.click(screen.getByRole('button', { name: 'Run all' }));
    await waitFor(() => expect(screen.getByTestId('tests-tally').textContent).toBe('1 passed, 1 failed'));
    expect(beforeRun).toHaveBeenCalledTimes(1);
    const runs = calls.filter((c) => c.url === `${BASE}/tests`);
    expect(runs.map((c) => c.body)).toEqual([
      { target: 'draft', names: ['big-deal'] },
      { target: 'draft', names: ['small-deal'] },
    ]);
    expect(screen.getByTestId('scenario-small-deal').dataset.result).toBe('passed');
    const failed = screen.getByTestId('scenario-big-deal');
    expect(failed.dataset.result).toBe('failed');
    expect(within(failed).getByText('Step 2 (line 5)')).toBeTruthy();
    expect(within(failed).getByText('stage: expected finance, got legal')).toBeTruthy();
    expect(within(failed).getByLabelText('Expected and actual').textContent).toContain('+stage: legal');
    expect(screen.getByTestId('coverage-summary').textContent).toContain('Nodes63.6 % (7 of 11)');
  });

  it('runs one scenario against a chosen version, without saving the draft', async () => {
    const calls = server();
    const beforeRun = vi.fn(async () => {});
    render(<Harness beforeRun={beforeRun} />);
    await screen.findByRole('list', { name: 'Scenarios' });
    fireEvent.change(screen.getByLabelText('Run against'), { target: { value: '1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run small-deal' }));
    await waitFor(() => expect(screen.getByTestId('scenario-small-deal').dataset.result).toBe('passed'));
    expect(calls.filter((c) => c.url === `${BASE}/tests`).map((c) => c.body)).toEqual([
      { target: 1, names: ['small-deal'] },
    ]);
    expect(beforeRun).not.toHaveBeenCalled();
    expect(screen.getByTestId('scenario-big-deal').dataset.result).toBe('not-run');
  });

  it("shows the server's problems with a scenario file by line, then saves it once fixed", async () => {
    let refuse = true;
    const calls = server((call) => {
      if (call.method !== 'PUT' || !refuse) return undefined;
      refuse = false;
      return Response.json(
        {
          error: {
            code: 'invalid_scenario',
            message: 'the scenario file has problems',
            details: {
              problems: [
                { line: 5, path: 'steps[0].start', message: 'unknown key "inptus"' },
                { line: null, path: 'personas', message: 'is required' },
              ],
            },
          },
        },
        { status: 422 },
      );
    });
    render(<Harness />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit small-deal' }));
    const editor = screen.getByRole('form', { name: 'Edit small-deal' });
    const source = within(editor).getByLabelText<HTMLTextAreaElement>('Scenario file (YAML)');
    expect(source.value).toBe(SMALL);
    fireEvent.change(source, { target: { value: SMALL.replace('start: {}', 'start: {inptus: {}}') } });
    fireEvent.click(within(editor).getByRole('button', { name: 'Save scenario' }));

    const problems = await within(editor).findByRole('alert');
    expect(problems.textContent).toContain('line 5 steps[0].start: unknown key "inptus"');
    expect(problems.textContent).toContain('personas: is required');
    fireEvent.click(within(problems).getByRole('button', { name: 'line 5' }));
    expect(source.selectionStart).toBe(SMALL.indexOf('  - start'));

    fireEvent.click(within(editor).getByRole('button', { name: 'Save scenario' }));
    await waitFor(() => expect(screen.queryByRole('form', { name: 'Edit small-deal' })).toBeNull());
    const puts = calls.filter((c) => c.method === 'PUT');
    expect(puts.map((c) => c.url)).toEqual([`${BASE}/scenarios/small-deal`, `${BASE}/scenarios/small-deal`]);
  });

  it("stores a new scenario under a name made from its file's, and refuses one without a name", async () => {
    const calls = server();
    render(<Harness />);
    await screen.findByRole('list', { name: 'Scenarios' });
    fireEvent.click(screen.getByRole('button', { name: 'New scenario' }));
    const editor = screen.getByRole('form', { name: 'New scenario' });
    const source = within(editor).getByLabelText<HTMLTextAreaElement>('Scenario file (YAML)');
    const name = within(editor).getByLabelText<HTMLInputElement>('Stored as');
    expect(source.value).toContain('orchestration: contract_approval');
    fireEvent.click(within(editor).getByRole('button', { name: 'Save scenario' }));
    expect((await within(editor).findByRole('alert')).textContent).toContain('give the scenario a name');
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);

    fireEvent.change(source, { target: { value: source.value.replace('name: ', 'name: The rep withdraws') } });
    expect(name.value).toBe('the-rep-withdraws');
    fireEvent.change(name, { target: { value: 'withdrawn' } });
    fireEvent.change(source, { target: { value: source.value.replace('The rep withdraws', 'The rep walks away') } });
    expect(name.value).toBe('withdrawn'); // typed: it no longer follows the file
    fireEvent.click(within(editor).getByRole('button', { name: 'Save scenario' }));
    expect(await screen.findByTestId('scenario-withdrawn')).toBeTruthy();
    expect(calls.find((c) => c.method === 'PUT')?.url).toBe(`${BASE}/scenarios/withdrawn`);
  });

  it('renames a scenario: stored under the new name, the old one deleted', async () => {
    const calls = server();
    render(<Harness />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit small-deal' }));
    const editor = screen.getByRole('form', { name: 'Edit small-deal' });
    fireEvent.change(within(editor).getByLabelText('Stored as'), { target: { value: 'small-deal-signed' } });
    expect(editor.textContent).toContain('renames small-deal');
    fireEvent.click(within(editor).getByRole('button', { name: 'Save scenario' }));
    expect(await screen.findByTestId('scenario-small-deal-signed')).toBeTruthy();
    expect(screen.queryByTestId('scenario-small-deal')).toBeNull();
    expect(calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.url}`)).toEqual([
      `PUT ${BASE}/scenarios/small-deal-signed`,
      `DELETE ${BASE}/scenarios/small-deal`,
    ]);
  });

  it('deletes a scenario only once the admin confirms', async () => {
    const calls = server();
    render(<Harness />);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete big-deal' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete big-deal?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Back' }));
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Delete big-deal' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete scenario' }));
    await waitFor(() => expect(screen.queryByTestId('scenario-big-deal')).toBeNull());
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual([`${BASE}/scenarios/big-deal`]);
  });

  it('proposes path tests with their stages, decisions and unsolved conditions, and saves those chosen', async () => {
    const calls = server((call) =>
      call.url === `${BASE}/scenarios/generate`
        ? Response.json({
            items: [
              {
                name: 'contract_approval--1-small',
                source: 'scenario: 1\nname: contract_approval--1-small\n',
                stages: ['legal', 'finance', 'executive'],
                decisions: [['deal_size', 'default']],
                unsolved: [],
              },
              {
                name: 'contract_approval--2-big',
                source: 'scenario: 1\nname: contract_approval--2-big\n',
                stages: ['legal', 'finance', 'vp', 'executive'],
                decisions: [{ decision: 'deal_size', outcome: 'big' }],
                stage_labels: ['Legal review', 'Finance review', 'VP approval', 'Executive signature'],
                path: ['Deal size → $50k or more'],
                unsolved: [{ decision: 'vp_ok', condition: 'record.region in vars.regions' }],
              },
            ],
          })
        : undefined,
    );
    render(<Harness />);
    await screen.findByRole('list', { name: 'Scenarios' });
    fireEvent.click(screen.getByRole('button', { name: 'Generate path tests' }));
    const proposed = await screen.findByRole('region', { name: 'Generated path tests' });
    expect(calls.find((c) => c.url.endsWith('/generate'))?.body).toEqual({
      target: 'draft',
      max_visits: 2,
      save: false,
    });
    const big = within(proposed).getByTestId('generated-contract_approval--2-big');
    // Named for people: stages and decisions by their labels (ids only from a server that sends no labels).
    expect(big.textContent).toContain('Legal review → Finance review → VP approval → Executive signature');
    expect(big.textContent).toContain('Deal size → $50k or more');
    expect(within(proposed).getByTestId('generated-contract_approval--1-small').textContent).toContain(
      'legal → finance → executive',
    );
    expect(big.textContent).toContain('vp_ok: record.region in vars.regions');
    fireEvent.click(within(proposed).getByRole('checkbox', { name: 'contract_approval--1-small' }));
    fireEvent.click(within(proposed).getByRole('button', { name: 'Save 1 selected' }));
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Generated path tests' })).toBeNull());
    expect(calls.filter((c) => c.method === 'PUT').map((c) => c.url)).toEqual([
      `${BASE}/scenarios/contract_approval--2-big`,
    ]);
    expect(screen.getByTestId('scenario-contract_approval--2-big')).toBeTruthy();
  });

  it('draws coverage on the canvas next to production figures, and lists the hot untested paths', async () => {
    const calls = server();
    const { container } = render(<Harness />);
    await screen.findByRole('list', { name: 'Scenarios' });
    fireEvent.click(screen.getByRole('button', { name: 'Run all' }));
    await waitFor(() => expect(screen.getByTestId('tests-tally').textContent).toBe('1 passed, 1 failed'));
    expect(useCoverageStore.getState().overlay).toBeNull(); // off until asked for

    fireEvent.click(screen.getByRole('checkbox', { name: 'Show coverage on the canvas' }));
    const hot = await screen.findByTestId('hot-untested');
    expect(calls.some((c) => c.url === `${BASE}/insights`)).toBe(true);
    expect(hot.textContent).toContain('2 paths taken in production have no test');
    // The VP stage is hot and untested too; its way in (the edge from the decision) is what the list names.
    expect(
      within(hot)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['Deal size → VP approval (big) · 9 in production', 'Step Approve large deal · 9 in production']);

    const mark = (id: string) => container.querySelector(`[data-testid="coverage-node-${id}"]`);
    expect(mark('legal')?.getAttribute('data-coverage')).toBe('covered');
    expect(mark('legal')?.textContent).toBe('✓ 2 · 30 in prod.'); // both scenarios went through legal
    expect(mark('vp')?.getAttribute('data-coverage')).toBe('hot-untested');
    expect(mark('revise')?.getAttribute('data-coverage')).toBe('uncovered');
    expect(mark('start')).toBeNull();
    expect(container.querySelector('.react-flow__node[data-id="vp"] .node--stage')?.className).toContain(
      'coverage--hot-untested',
    );
    const outcomes = [...container.querySelectorAll('.react-flow__node[data-id="deal_size"] .decision__outcome')].map(
      (li) => li.getAttribute('data-coverage'),
    );
    expect(outcomes).toEqual(['hot-untested', 'covered']);

    fireEvent.click(within(hot).getByRole('button', { name: 'Deal size → VP approval (big)' }));
    expect(
      flowStore
        .getState()
        .edges.filter((e) => e.selected)
        .map((e) => e.id),
    ).toEqual(['e_big']);

    fireEvent.click(screen.getByRole('checkbox', { name: 'Show coverage on the canvas' }));
    expect(useCoverageStore.getState().overlay).toBeNull();
    expect(container.querySelector('[data-coverage]')).toBeNull();
  });

  it('stops after the scenario under way when asked to', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls = server();
    const answer = vi.mocked(fetch).getMockImplementation()!;
    vi.mocked(fetch).mockImplementation(async (url, init) => {
      if ((url as string).endsWith('/tests')) await held;
      return answer(url, init);
    });
    render(<Harness />);
    await screen.findByRole('list', { name: 'Scenarios' });
    fireEvent.click(screen.getByRole('button', { name: 'Run all' }));
    expect((await screen.findByRole('status')).textContent).toContain('Running 1 of 2 against the draft: big-deal');
    fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    release();
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Stopping…' })).toBeNull());
    expect(calls.filter((c) => c.url.endsWith('/tests'))).toHaveLength(1);
    expect(screen.getByTestId('tests-tally').textContent).toBe('0 passed, 1 failed, 1 not run');
  });

  it('shows and hides the panel with T, not while typing', () => {
    server();
    render(<Harness />);
    expect(useTestsStore.getState().open).toBe(false);
    fireEvent.keyDown(window, { key: 't' });
    expect(useTestsStore.getState().open).toBe(true);
    fireEvent.keyDown(screen.getByLabelText('Run against'), { key: 't' });
    expect(useTestsStore.getState().open).toBe(true);
    fireEvent.keyDown(window, { key: 'T' });
    expect(useTestsStore.getState().open).toBe(false);
    fireEvent.keyDown(window, { key: 't', ctrlKey: true });
    expect(useTestsStore.getState().open).toBe(false);
  });

  it('lets ops read the scenarios, not run or change them', async () => {
    server();
    useSessionStore.setState({ user: { username: 'otto', role: 'ops' } });
    render(<Harness />);
    const row = await screen.findByTestId('scenario-small-deal');
    expect(screen.getByText(/Only admins run and change scenario tests/)).toBeTruthy();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Run all' }).disabled).toBe(true);
    expect(screen.queryByRole('button', { name: 'New scenario' })).toBeNull();
    expect(within(row).queryByRole('button', { name: 'Edit small-deal' })).toBeNull();
    expect(within(row).getByText('Scenario file').closest('details')?.textContent).toContain('name: Small deal');
  });

  it('says why scenarios cannot be read', async () => {
    server((call) =>
      call.url === `${BASE}/scenarios`
        ? Response.json({ error: { code: 'forbidden', message: 'admins only' } }, { status: 403 })
        : undefined,
    );
    render(<Harness />);
    expect((await screen.findByRole('alert')).textContent).toContain('The scenarios cannot be read: admins only');
    expect(useTestsStore.getState().state.loadError).toBe('admins only');
  });
});
