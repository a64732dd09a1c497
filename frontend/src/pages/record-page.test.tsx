// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { useSessionStore } from '../store/session-store';
import { RecordPage } from './record-page';

const item = {
  id: 'wi1',
  run_id: 'run1',
  orchestration: 'contract_approval',
  step_id: 'sign',
  stage_id: 'executive',
  visit: 1,
  label: 'Sign contract',
  assignee: { type: 'group', value: 'executives' },
  status: 'open',
  claimed_by: null,
  created_at: '2026-11-25T09:00:00Z',
  due_at: null,
  overdue: false,
  record: { object: 'contract', id: 'rec1' },
};
const form = {
  fields: [{ name: 'signed_on', type: 'date', label: 'Signed on', required: true }],
  outcomes: [{ value: 'sign', label: 'Sign' }],
};
const stages = contractApproval.nodes
  .filter((n) => n.type === 'stage')
  .map((n) => ({ id: n.id, label: n.label, status: 'not_started', visits: 0 }));
const run = {
  id: 'run1',
  orchestration: 'contract_approval',
  version: 1,
  status: 'in_progress',
  label: 'Contract approval',
  current_node: 'executive',
  current_stage: 'executive',
  stages,
  history: [
    { stage: 'legal', visit: 1, status: 'completed' },
    { stage: 'finance', visit: 1, status: 'completed' },
    { stage: 'executive', visit: 1, status: 'in_progress' },
  ],
  work_items: [item],
};
let completion: { status: number; body: unknown };
let posted: unknown[];
let itemAfter: Record<string, unknown>;

beforeEach(() => {
  posted = [];
  itemAfter = { ...item, form, status: 'open' };
  useSessionStore.setState({ user: { username: 'erin', role: 'member' } });
  vi.stubGlobal('WebSocket', undefined);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'POST') {
        posted.push(JSON.parse(init.body as string));
        return Response.json(completion.body, { status: completion.status });
      }
      if (url === '/api/records/contract/rec1') {
        return Response.json({
          id: 'rec1',
          object: 'contract',
          owner: 'sam',
          fields: { title: 'Acme MSA', amount: 12000 },
          created_at: '2026-11-25T08:00:00Z',
          updated_at: '2026-11-25T08:00:00Z',
          revision: 0,
          runs: [
            {
              id: 'run1',
              orchestration: 'contract_approval',
              status: 'in_progress',
              started_at: '2026-11-25T08:00:00Z',
            },
          ],
        });
      }
      if (url.startsWith('/api/work-items?mine=1'))
        return Response.json({ items: itemAfter.status === 'open' ? [item] : [], next_cursor: null });
      if (url === '/api/work-items/wi1')
        return Response.json({ ...itemAfter, form, step_label: 'Sign contract', record: null });
      if (url === '/api/runs/run1') return Response.json(run);
      if (url === '/api/orchestrations/contract_approval/versions/1')
        return Response.json({ key: 'contract_approval', number: 1, document: contractApproval, active: true });
      return Response.json({ items: [], next_cursor: null });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderRecord() {
  render(
    <MemoryRouter initialEntries={['/records/contract/rec1']}>
      <Routes>
        <Route path="/records/:object/:recordId" element={<RecordPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('the Work Guide on a record page', () => {
  it('shows my step’s form and where the run stands', async () => {
    renderRecord();
    expect((await screen.findByRole('heading', { name: 'Your step now: Sign contract' })).textContent).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Acme MSA', level: 1 })).toBeTruthy();
    expect(screen.getByLabelText('Signed on *')).toBeTruthy();
    expect(screen.getByLabelText('Comment (optional)')).toBeTruthy();
    expect((await screen.findByTestId('progress-current')).textContent).toBe('Executive signature');
    expect(screen.getByText('Legal review')).toBeTruthy();
  });

  it('checks the form before sending it, and says what is wrong next to the field', async () => {
    renderRecord();
    fireEvent.click(await screen.findByRole('button', { name: 'Sign' }));
    expect(screen.getByText('Signed on is required')).toBeTruthy();
    expect(screen.getByLabelText('Signed on *').getAttribute('aria-invalid')).toBe('true');
    expect(posted).toEqual([]);
  });

  it('sends the outcome, the values and the comment', async () => {
    completion = { status: 200, body: { ...item, status: 'completed', outcome: 'sign', completed_by: 'erin' } };
    renderRecord();
    fireEvent.change(await screen.findByLabelText('Signed on *'), { target: { value: '2026-11-26' } });
    fireEvent.change(screen.getByLabelText('Comment (optional)'), { target: { value: 'Signed in person.' } });
    itemAfter = { ...item, status: 'completed' };
    fireEvent.click(screen.getByRole('button', { name: 'Sign' }));
    expect((await screen.findByRole('status')).textContent).toBe('Done: Sign contract — Sign.');
    expect(posted).toEqual([{ outcome: 'sign', values: { signed_on: '2026-11-26' }, comment: 'Signed in person.' }]);
    await screen.findByTestId('work-guide-nothing');
  });

  it('with nothing for me, shows where the run stands and who has the ball, by name', async () => {
    itemAfter = { ...item, status: 'claimed', claimed_by: 'ed' };
    const held = run as { work_items: unknown[] };
    held.work_items = [
      { ...item, status: 'claimed', claimed_by: 'ed', claimed_by_name: 'Ed Executive', assignee_name: 'Executives' },
    ];
    try {
      renderRecord();
      expect(await screen.findByTestId('work-guide-nothing')).toBeTruthy();
      expect((await screen.findByTestId('work-guide-waiting')).textContent).toBe(
        'Waiting for Ed Executive (Sign contract).',
      );
      expect(screen.getByRole('region', { name: 'Contract approval: progress' })).toBeTruthy();
    } finally {
      held.work_items = [item];
    }
  });

  it('says plainly when someone else completed the step meanwhile (409)', async () => {
    completion = {
      status: 409,
      body: { error: { code: 'conflict', message: 'work item wi1 was completed by someone else meanwhile' } },
    };
    renderRecord();
    fireEvent.change(await screen.findByLabelText('Signed on *'), { target: { value: '2026-11-26' } });
    itemAfter = { ...item, status: 'completed', completed_by: 'frank', outcome: 'sign' };
    fireEvent.click(screen.getByRole('button', { name: 'Sign' }));
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe(
        'frank completed this step meanwhile (Sign); your answer was not recorded.',
      ),
    );
  });
});

describe('a record with steps of mine on two runs', () => {
  const second = {
    ...item,
    id: 'wi2',
    run_id: 'run2',
    orchestration: 'second_look',
    step_id: 'check',
    stage_id: 'review',
    label: 'Check it',
    assignee: { type: 'user', value: 'erin' },
    assignee_name: 'Erin Executive',
  };
  const secondForm = {
    fields: [{ name: 'signed_on', type: 'text', label: 'Signed on' }],
    outcomes: [{ value: 'done', label: 'Done' }],
  };
  const secondRun = {
    id: 'run2',
    orchestration: 'second_look',
    version: 1,
    status: 'in_progress',
    label: 'Second look',
    current_node: 'review',
    current_stage: 'review',
    stages: [{ id: 'review', label: 'Review', status: 'in_progress', visits: 1 }],
    history: [{ stage: 'review', visit: 1, status: 'in_progress' }],
    work_items: [second],
  };
  let secondDone: boolean;

  beforeEach(() => {
    secondDone = false;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        if (init?.method === 'POST') {
          posted.push({ url, ...JSON.parse(init.body as string) });
          secondDone = true;
          return Response.json({ ...second, status: 'completed', outcome: 'done', completed_by: 'erin' });
        }
        if (url === '/api/records/contract/rec1') {
          return Response.json({
            id: 'rec1',
            object: 'contract',
            owner: 'sam',
            fields: { title: 'Acme MSA' },
            created_at: '2026-11-25T08:00:00Z',
            updated_at: '2026-11-25T08:00:00Z',
            revision: 0,
            runs: [
              { id: 'run1', orchestration: 'contract_approval', status: 'in_progress' },
              { id: 'run2', orchestration: 'second_look', status: 'in_progress' },
            ],
          });
        }
        if (url.startsWith('/api/work-items?mine=1&record=rec1'))
          return Response.json({ items: secondDone ? [item] : [item, second], next_cursor: null });
        if (url === '/api/work-items/wi1')
          return Response.json({ ...item, form, step_label: 'Sign contract', record: null });
        if (url === '/api/work-items/wi2')
          return Response.json({
            ...second,
            status: secondDone ? 'completed' : 'open',
            form: secondForm,
            record: null,
          });
        if (url === '/api/runs/run1') return Response.json(run);
        if (url === '/api/runs/run2') return Response.json(secondRun);
        if (url === '/api/orchestrations/contract_approval/versions/1')
          return Response.json({ key: 'contract_approval', number: 1, document: contractApproval, active: true });
        return Response.json({ items: [], next_cursor: null });
      }),
    );
  });

  it('shows each step with its own form and its own run’s progress, labelled by its orchestration', async () => {
    renderRecord();
    const approval = await screen.findByRole('region', { name: 'Contract approval: Sign contract' });
    const look = await screen.findByRole('region', { name: 'Second look: Check it' });
    expect(approval.querySelector('h3')?.textContent).toBe('Your step now: Sign contract');
    expect(look.querySelector('h3')?.textContent).toBe('Your step now: Check it');
    expect(look.textContent).toContain('Assigned to you');
    // Two fields called "Signed on", one per form, each with its own label.
    expect(screen.getAllByLabelText(/^Signed on/)).toHaveLength(2);
    await waitFor(() =>
      expect(screen.getAllByTestId('progress-current').map((p) => p.textContent)).toEqual([
        'Executive signature',
        'Review',
      ]),
    );
    expect(
      [...document.querySelectorAll('a')]
        .filter((a) => a.textContent === 'Open this step on its own')
        .map((a) => a.getAttribute('href')),
    ).toEqual(['/work/wi1', '/work/wi2']);
  });

  it('shows a run’s progress once when two steps of mine are on it', async () => {
    Object.assign(second, { run_id: 'run1', orchestration: 'contract_approval' });
    try {
      renderRecord();
      const check = await screen.findByRole('region', { name: 'Contract approval: Check it' });
      const sign = await screen.findByRole('region', { name: 'Contract approval: Sign contract' });
      await waitFor(() =>
        expect(within(sign).getByRole('region', { name: 'Contract approval: progress' })).toBeTruthy(),
      );
      await screen.findByRole('region', { name: 'Second look: progress' }); // run2 has no step of mine now
      expect(within(check).queryByRole('region', { name: 'Contract approval: progress' })).toBeNull();
      expect(screen.getAllByTestId('work-guide-step')).toHaveLength(2);
    } finally {
      Object.assign(second, { run_id: 'run2', orchestration: 'second_look' });
    }
  });

  it('completes one step and keeps the other, and shows the done run’s progress', async () => {
    renderRecord();
    const look = await screen.findByRole('region', { name: 'Second look: Check it' });
    fireEvent.click(look.querySelector('button.primary') as HTMLButtonElement);
    expect((await screen.findByRole('status')).textContent).toBe('Done: Check it — Done.');
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Second look: Check it' })).toBeNull());
    expect(screen.getByRole('region', { name: 'Contract approval: Sign contract' })).toBeTruthy();
    expect(await screen.findByRole('region', { name: 'Second look: progress' })).toBeTruthy();
    expect(posted).toEqual([{ url: '/api/work-items/wi2/complete', outcome: 'done', values: {}, comment: null }]);
  });
});

describe('who may change the record', () => {
  const contractType = {
    name: 'contract',
    label: 'Contract',
    fields: [
      { name: 'title', type: 'string', required: true },
      { name: 'amount', type: 'number', required: false },
    ],
    triggers: [],
  };
  let editable: string[];
  let patched: unknown[];

  beforeEach(() => {
    patched = [];
    const inner = globalThis.fetch;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        if (url.startsWith('/api/record-types')) return Response.json({ items: [contractType], next_cursor: null });
        if (url === '/api/records/contract/rec1' && init?.method === 'PATCH') {
          patched.push(JSON.parse(init.body as string));
          return Response.json({
            id: 'rec1',
            object: 'contract',
            owner: 'sam',
            fields: { title: 'Acme MSA', amount: 9000 },
            created_at: '2026-11-25T08:00:00Z',
            updated_at: '2026-11-25T08:00:00Z',
            revision: 1,
            started_runs: [],
          });
        }
        if (url === '/api/records/contract/rec1') {
          return Response.json({
            id: 'rec1',
            object: 'contract',
            owner: 'sam',
            fields: { title: 'Acme MSA', amount: 12000 },
            created_at: '2026-11-25T08:00:00Z',
            updated_at: '2026-11-25T08:00:00Z',
            revision: 0,
            runs: [],
            editable_fields: editable,
          });
        }
        return inner(url, init);
      }),
    );
  });
  // Let the page's last reads land while fetch is still stubbed.
  afterEach(() => new Promise((done) => setTimeout(done, 50)));

  it('offers no Edit to someone who may only read it', async () => {
    editable = [];
    renderRecord();
    await waitFor(() => expect(screen.getByTestId('record-read-only').textContent).toContain('change this contract'));
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
  });

  it('shows the fields a step may not change read only, and sends only those it may', async () => {
    editable = ['amount'];
    renderRecord();
    fireEvent.click(await screen.findByRole('button', { name: 'Edit' }));
    const title = screen.getByLabelText<HTMLInputElement>('Title * (read only)');
    expect(title.readOnly).toBe(true);
    const amount = screen.getByLabelText<HTMLInputElement>('Amount');
    expect(amount.readOnly).toBe(false);
    fireEvent.change(title, { target: { value: 'Hijacked' } });
    fireEvent.change(amount, { target: { value: '9000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(patched).toEqual([{ fields: { amount: 9000 } }]));
    expect(await screen.findByText('Saved.')).toBeTruthy();
  });
});
