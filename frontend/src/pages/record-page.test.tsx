// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { useSessionStore } from '../store/session-store';
import { RecordPage } from './record-page';

const item = {
  id: 'wi1', run_id: 'run1', orchestration: 'contract_approval', step_id: 'sign', stage_id: 'executive', visit: 1, label: 'Sign contract',
  assignee: { type: 'group', value: 'executives' }, status: 'open', claimed_by: null, created_at: '2026-11-25T09:00:00Z', due_at: null,
  overdue: false, record: { object: 'contract', id: 'rec1' },
};
const form = { fields: [{ name: 'signed_on', type: 'date', label: 'Signed on', required: true }], outcomes: [{ value: 'sign', label: 'Sign' }] };
const stages = contractApproval.nodes.filter((n) => n.type === 'stage').map((n) => ({ id: n.id, label: n.label, status: 'not_started', visits: 0 }));
const run = {
  id: 'run1', orchestration: 'contract_approval', version: 1, status: 'in_progress', label: 'Contract approval', current_node: 'executive',
  current_stage: 'executive', stages, history: [{ stage: 'legal', visit: 1, status: 'completed' }, { stage: 'finance', visit: 1, status: 'completed' }, { stage: 'executive', visit: 1, status: 'in_progress' }],
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
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    if (init?.method === 'POST') {
      posted.push(JSON.parse(String(init.body)));
      return Response.json(completion.body, { status: completion.status });
    }
    if (url === '/api/records/contract/rec1') {
      return Response.json({ id: 'rec1', object: 'contract', owner: 'sam', fields: { title: 'Acme MSA', amount: 12000 }, created_at: '2026-11-25T08:00:00Z',
        updated_at: '2026-11-25T08:00:00Z', revision: 0, runs: [{ id: 'run1', orchestration: 'contract_approval', status: 'in_progress', started_at: '2026-11-25T08:00:00Z' }] });
    }
    if (url.startsWith('/api/work-items?mine=1')) return Response.json({ items: itemAfter.status === 'open' ? [item] : [], next_cursor: null });
    if (url === '/api/work-items/wi1') return Response.json({ ...itemAfter, form, step_label: 'Sign contract', record: null });
    if (url === '/api/runs/run1') return Response.json(run);
    if (url === '/api/orchestrations/contract_approval/versions/1') return Response.json({ key: 'contract_approval', number: 1, document: contractApproval, active: true });
    return Response.json({ items: [], next_cursor: null });
  }));
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderRecord() {
  render(
    <MemoryRouter initialEntries={['/records/contract/rec1']}>
      <Routes><Route path="/records/:object/:recordId" element={<RecordPage />} /></Routes>
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

  it('says plainly when someone else completed the step meanwhile (409)', async () => {
    completion = { status: 409, body: { error: { code: 'conflict', message: 'work item wi1 was completed by someone else meanwhile' } } };
    renderRecord();
    fireEvent.change(await screen.findByLabelText('Signed on *'), { target: { value: '2026-11-26' } });
    itemAfter = { ...item, status: 'completed', completed_by: 'frank', outcome: 'sign' };
    fireEvent.click(screen.getByRole('button', { name: 'Sign' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('frank completed this step meanwhile (Sign); your answer was not recorded.'));
  });
});
