// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useTestRunStore } from '../hooks/use-test-run';
import { useTestsStore } from '../hooks/use-tests';
import { setCsrfToken } from '../lib/api';
import { parseDocument } from '../lib/document-schema';
import { useSessionStore } from '../store/session-store';
import { flowStore } from '../store/use-flow-store';
import { TestRunPanel } from './test-run-panel';

const EXPENSE = {
  format: 1,
  key: 'expense',
  label: 'Expense approval',
  inputs: [{ name: 'amount', type: 'number', required: true, label: 'Amount' }],
  nodes: [
    { id: 'start', type: 'start', ui: { x: 0, y: 0 } },
    { id: 'review', type: 'stage', label: 'Finance review', ui: { x: 100, y: 0, width: 300, height: 200 } },
    {
      id: 'approve',
      type: 'interactive',
      stage: 'review',
      label: 'Approve the expense',
      assignee: { type: 'group', value: 'finance' },
      form: {
        fields: [{ name: 'note', type: 'text', label: 'Note' }],
        outcomes: [
          { value: 'approve', label: 'Approve' },
          { value: 'reject', label: 'Reject' },
        ],
      },
      ui: { x: 20, y: 40 },
    },
    {
      id: 'crm',
      type: 'background',
      stage: 'review',
      label: 'Tell the CRM',
      action: 'http.request',
      inputs: {},
      start: { when: 'after', steps: ['approve'] },
      ui: { x: 20, y: 120 },
    },
    { id: 'done', type: 'end', ui: { x: 500, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'review' },
    { id: 'e2', source: 'review', target: 'done' },
  ],
};
const KEY = 'expense';
const ITEM = {
  id: 'w1',
  run_id: 'r1',
  orchestration: KEY,
  step_id: 'approve',
  stage_id: 'review',
  label: 'Approve the expense',
  assignee: { type: 'group', value: 'finance' },
  status: 'open',
  claimed_by: null,
  created_at: '2026-01-05T09:00:00+00:00',
  due_at: null,
  overdue: false,
  record: null,
  personas: ['finance'],
  form: EXPENSE.nodes[2]!.form,
};

function trial(steps: unknown[]) {
  const started = steps.length > 0;
  const done = steps.some((s) => (s as { complete?: string }).complete === 'approve');
  return {
    source: 'draft',
    personas: { requester: { user: 'requester' }, finance: { user: 'finance_user', groups: ['finance'] } },
    run: started
      ? {
          id: 'r1',
          orchestration: KEY,
          version: 1,
          status: done ? 'completed' : 'in_progress',
          label: 'Expense approval',
          current_node: done ? 'done' : 'review',
          current_stage: done ? null : 'review',
          stages: [{ id: 'review', label: 'Finance review', status: done ? 'completed' : 'in_progress', visits: 1 }],
          history: [{ stage: 'review', visit: 1, status: done ? 'completed' : 'in_progress' }],
          work_items: [],
          vars: {},
          steps: [],
          error: null,
        }
      : null,
    work_items: started && !done ? [ITEM] : [],
    events: started
      ? [
          {
            seq: 1,
            run_id: 'r1',
            type: 'stage.started',
            at: '2026-01-05T09:00:00+00:00',
            node: 'review',
            visit: 1,
            by: null,
            data: {},
          },
        ]
      : [],
    now: '2026-01-05T09:00:00+00:00',
    next_timer: null,
    scenario: started ? 'scenario: 1\nname: x\n' : null,
  };
}

type Call = { url: string; method: string; body: unknown };
let calls: Call[];
let answerCrm: boolean;

beforeEach(() => {
  calls = [];
  answerCrm = false;
  flowStore.getState().load(parseDocument(structuredClone(EXPENSE)));
  setCsrfToken('csrf-1');
  useSessionStore.setState({ user: { username: 'ada', role: 'admin' } });
  useTestRunStore.getState().reset(KEY);
  useTestsStore.getState().reset(KEY);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const call = {
        url,
        method: init?.method ?? 'GET',
        body: init?.body ? (JSON.parse(init.body as string) as unknown) : undefined,
      };
      calls.push(call);
      if (url === `/api/orchestrations/${KEY}/test-run`) {
        const steps = (call.body as { steps: Array<Record<string, unknown>> }).steps;
        const completing = steps.findIndex((s) => s.complete === 'approve');
        const answered = steps
          .slice(0, completing)
          .some((s) => (s.mock as { step?: string } | undefined)?.step === 'crm');
        if (completing >= 0 && !answered && !answerCrm) {
          return Response.json(
            {
              error: {
                code: 'invalid',
                message: `step ${completing + 1}: step crm runs action http.request, which has no mock`,
                details: {
                  step: completing,
                  kind: 'mock',
                  unanswered: { step: 'crm', action: 'http.request' },
                  problems: [],
                },
              },
            },
            { status: 422 },
          );
        }
        if (steps.some((s) => s.advance === 'soon')) {
          return Response.json(
            {
              error: {
                code: 'invalid',
                message: 'step 2: steps[1].advance: not a duration',
                details: { step: 1, kind: 'format', unanswered: null, problems: [] },
              },
            },
            { status: 422 },
          );
        }
        return Response.json(trial(steps));
      }
      if (url.startsWith(`/api/orchestrations/${KEY}/scenarios/`) && call.method === 'PUT') {
        return Response.json({
          name: url.split('/').pop(),
          source: (call.body as { source: string }).source,
          updated_at: '2026-01-05T09:00:00+00:00',
          updated_by: 'ada',
        });
      }
      return Response.json({ error: { code: 'not_found', message: `unexpected ${url}` } }, { status: 404 });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const saved = vi.fn(async () => undefined);
const plays = () => calls.filter((c) => c.url.endsWith('/test-run')).map((c) => (c.body as { steps: unknown[] }).steps);

describe('the Test run panel', () => {
  it('starts the draft from its inputs form, acts as the persona, answers the background step and ends', async () => {
    render(<TestRunPanel orchestrationKey={KEY} beforeRun={saved} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Start test run' }));
    expect(screen.getByText('Amount is required')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Amount *'), { target: { value: '120' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start test run' }));
    expect((await screen.findByTestId('test-run-item-approve')).textContent).toContain('Approve the expense');
    expect(screen.getByTestId('test-run-state').getAttribute('data-status')).toBe('in_progress');
    expect(screen.getByLabelText<HTMLSelectElement>('Act as').value).toBe('finance');

    fireEvent.change(screen.getByLabelText('Note'), { target: { value: 'fine' } });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    // The CRM call needs an answer: it goes just before the step that ran it, and the step is played again.
    expect(await screen.findByRole('heading', { name: 'Tell the CRM (http.request) needs an answer' })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Result (JSON)'), { target: { value: '{"status": 200}' } });
    fireEvent.click(screen.getByRole('button', { name: 'Succeed with this result' }));
    await waitFor(() => expect(screen.getByTestId('test-run-state').getAttribute('data-status')).toBe('completed'));

    expect(plays().at(-1)).toEqual([
      { start: { as: 'requester', inputs: { amount: 120 } } },
      { mock: { step: 'crm', result: { status: 200 } } },
      { as: 'finance', complete: 'approve', outcome: 'approve', values: { note: 'fine' } },
    ]);
    expect([...screen.getByTestId('test-run-log').querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'Started with {"amount":120}',
      'Tell the CRM answers {"status":200}',
      'finance completed Approve the expense: approve {"note":"fine"}',
    ]);
    expect(saved).toHaveBeenCalled(); // the draft is saved before the server plays it
  });

  it('keeps a refused step out of the log and says which step and why', async () => {
    answerCrm = true;
    render(<TestRunPanel orchestrationKey={KEY} beforeRun={saved} />);
    fireEvent.change(await screen.findByLabelText('Amount *'), { target: { value: '1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start test run' }));
    await screen.findByTestId('test-run-item-approve');
    fireEvent.change(screen.getByLabelText('Move the clock by'), { target: { value: 'soon' } });
    fireEvent.click(screen.getByRole('button', { name: 'Advance the clock' }));
    expect(screen.getByText(/ISO-8601 duration/)).toBeTruthy();
    expect(plays()).toHaveLength(2); // checked here: never sent
    fireEvent.change(screen.getByLabelText('Move the clock by'), { target: { value: 'PT4H' } });
    fireEvent.click(screen.getByRole('button', { name: 'Advance the clock' }));
    await waitFor(() => expect(screen.getByTestId('test-run-log').querySelectorAll('li')).toHaveLength(2));
  });

  it('saves the steps as a scenario the Tests panel lists', async () => {
    answerCrm = true;
    useTestsStore.getState().dispatch({ type: 'loaded', items: [] });
    render(<TestRunPanel orchestrationKey={KEY} beforeRun={saved} />);
    fireEvent.change(await screen.findByLabelText('Amount *'), { target: { value: '1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start test run' }));
    await screen.findByTestId('test-run-item-approve');
    fireEvent.change(screen.getByLabelText('Scenario name'), { target: { value: 'Small expense' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save as scenario' }));
    expect((await screen.findByText(/Saved as scenario/)).textContent).toContain('small-expense');
    const put = calls.find((c) => c.method === 'PUT')!;
    expect(put.url).toBe(`/api/orchestrations/${KEY}/scenarios/small-expense`);
    expect(calls.filter((c) => c.url.endsWith('/test-run')).at(-1)!.body).toMatchObject({ name: 'Small expense' });
    expect(useTestsStore.getState().state.scenarios?.map((s) => s.name)).toEqual(['small-expense']);
  });
});
