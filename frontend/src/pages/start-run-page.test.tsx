// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { StartRunPage } from './start-run-page';

const EXPENSE = {
  format: 1,
  key: 'expense',
  label: 'Expense approval',
  inputs: [
    { name: 'amount', type: 'number', required: true, label: 'Amount', description: 'In euros' },
    { name: 'reason', type: 'string', label: 'Reason', default: 'travel' },
  ],
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'done', type: 'end' },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'done' }],
};
const RUN = {
  id: 'run1',
  orchestration: 'expense',
  version: 1,
  status: 'in_progress',
  label: 'Expense approval',
  current_node: 'review',
  current_stage: 'review',
  stages: [],
  history: [],
  work_items: [],
};

let posted: unknown[];
let startAnswer: { status: number; body: unknown };
let mine: unknown[];

beforeEach(() => {
  posted = [];
  mine = [];
  startAnswer = { status: 201, body: RUN };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'POST') {
        posted.push(JSON.parse(init.body as string));
        return Response.json(startAnswer.body, { status: startAnswer.status });
      }
      if (url === '/api/orchestrations') {
        return Response.json({
          items: [
            {
              key: 'expense',
              label: 'Expense approval',
              active_version: 2,
              has_draft: false,
              trigger: { type: 'manual' },
            },
            {
              key: 'contract_approval',
              label: 'Contract approval',
              active_version: 1,
              has_draft: false,
              trigger: contractApproval.trigger,
            },
            { key: 'idea', label: 'Idea', active_version: null, has_draft: true, trigger: null },
          ],
          next_cursor: null,
        });
      }
      if (url === '/api/orchestrations/expense/versions/2')
        return Response.json({ key: 'expense', number: 2, document: EXPENSE, active: true });
      if (url === '/api/orchestrations/contract_approval/versions/1')
        return Response.json({ key: 'contract_approval', number: 1, document: contractApproval, active: true });
      if (url.startsWith('/api/record-types'))
        return Response.json({ items: [{ name: 'contract', label: 'Contract', fields: [] }], next_cursor: null });
      if (url.startsWith('/api/work-items?mine=1')) return Response.json({ items: mine, next_cursor: null });
      return Response.json({ error: { code: 'not_found', message: 'no' } }, { status: 404 });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function open(key: string) {
  render(
    <MemoryRouter initialEntries={[`/orchestrations/${key}/start`]}>
      <Routes>
        <Route path="/orchestrations/:key/start" element={<StartRunPage />} />
        <Route path="/runs/:runId" element={<h1>Run page</h1>} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('the Start run page', () => {
  it('generates the form from the active version’s inputs: labels, required marks, defaults, help', async () => {
    open('expense');
    expect(await screen.findByRole('heading', { name: 'Start a run: Expense approval' })).toBeTruthy();
    expect(screen.getByLabelText('Amount *')).toBeTruthy();
    expect(screen.getByLabelText<HTMLInputElement>('Reason').value).toBe('travel');
    expect(screen.getByText('In euros')).toBeTruthy();
  });

  it('says what is wrong next to the field before sending, then starts and opens the run', async () => {
    open('expense');
    fireEvent.click(await screen.findByRole('button', { name: 'Start run' }));
    expect(screen.getByText('Amount is required')).toBeTruthy();
    expect(screen.getByLabelText('Amount *').getAttribute('aria-invalid')).toBe('true');
    expect(posted).toEqual([]);
    fireEvent.change(screen.getByLabelText('Amount *'), { target: { value: '120' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start run' }));
    expect(await screen.findByRole('heading', { name: 'Run page' })).toBeTruthy();
    expect(posted).toEqual([{ orchestration: 'expense', inputs: { amount: 120, reason: 'travel' } }]);
  });

  it('shows the server’s 422 next to each input', async () => {
    startAnswer = {
      status: 422,
      body: {
        error: {
          code: 'invalid',
          message: 'the inputs do not fit the orchestration',
          details: { inputs: { amount: 'must be at most 1000' } },
        },
      },
    };
    open('expense');
    fireEvent.change(await screen.findByLabelText('Amount *'), { target: { value: '5000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start run' }));
    expect(await screen.findByText('Amount must be at most 1000')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('the inputs do not fit');
  });

  it('says so, with a link, when the starter now has a work item on the run', async () => {
    mine = [
      {
        id: 'w1',
        run_id: 'run1',
        orchestration: 'expense',
        step_id: 'review',
        stage_id: 'review',
        label: 'Review the expense',
        assignee: { type: 'user', value: 'ada' },
        status: 'open',
        claimed_by: null,
        created_at: '2026-01-05T09:00:00Z',
        due_at: null,
        overdue: false,
        record: null,
      },
    ];
    open('expense');
    fireEvent.change(await screen.findByLabelText('Amount *'), { target: { value: '10' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start run' }));
    const notice = await screen.findByTestId('started-with-work');
    expect(notice.textContent).toContain('Review the expense');
    expect(screen.getByRole('link', { name: 'See the run' }).getAttribute('href')).toBe('/runs/run1');
  });

  it('says how a record-triggered orchestration starts, with a link to create such a record', async () => {
    open('contract_approval');
    const words = await screen.findByTestId('record-trigger');
    expect(words.textContent).toContain('Starts when a Contract is created or updated with');
    expect(words.textContent).toContain("record.status == 'submitted'");
    expect(screen.getByRole('link', { name: 'Create a contract' }).getAttribute('href')).toBe('/records/contract');
    expect(screen.queryByRole('button', { name: 'Start run' })).toBeNull();
  });

  it('starts nothing for an orchestration without an active version', async () => {
    open('idea');
    expect(await screen.findByText(/has no active version yet/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Start run' })).toBeNull();
  });
});
