// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { useSessionStore } from '../store/session-store';
import { ItemPage } from './item-page';

const item = {
  id: 'wi1',
  run_id: 'run1',
  orchestration: 'contract_approval',
  step_id: 'finance_review',
  stage_id: 'finance',
  visit: 1,
  label: 'Check pricing and terms',
  assignee: { type: 'group', value: 'finance' },
  assignee_name: 'Finance',
  status: 'open',
  claimed_by: null,
  claimed_by_name: null,
  created_at: '2026-11-25T09:00:00Z',
  due_at: '2026-11-26T09:00:00Z',
  overdue: true,
  record: { object: 'contract', id: 'rec1' },
};
const form = {
  fields: [{ name: 'margin', type: 'number', label: 'Margin (%)', required: true }],
  outcomes: [
    { value: 'approve', label: 'Approve' },
    { value: 'reject', label: 'Reject' },
  ],
};
const context = {
  run: {
    id: 'run1',
    orchestration: 'contract_approval',
    version: 1,
    label: 'Contract approval',
    status: 'in_progress',
    current_stage: 'finance',
    started_by: 'sam',
    started_by_name: 'Sam Sales',
    started_at: '2026-11-25T08:00:00Z',
  },
  inputs: {},
  vars: {},
  steps: [
    {
      id: 'legal_review',
      label: 'Review contract terms',
      stage: 'legal',
      outcome: 'approve',
      outputs: {},
      completed_by: 'alice',
      completed_by_name: 'Alice Legal',
      ended_at: '2026-11-25T08:30:00Z',
    },
    // This very step, once done (the run's steps include it): not one of those before it.
    {
      id: 'finance_review',
      label: 'Check pricing and terms',
      stage: 'finance',
      outcome: 'approve',
      outputs: {},
      completed_by: 'fiona',
      completed_by_name: 'Fiona Finance',
      ended_at: '2026-11-26T10:00:00Z',
    },
  ],
};
const record = { id: 'rec1', object: 'contract', owner: 'sam', title: 'Acme MSA', customer: 'Acme', amount: 12000 };
const stages = contractApproval.nodes
  .filter((n) => n.type === 'stage')
  .map((n) => ({ id: n.id, label: n.label, status: 'not_started', visits: 0 }));
const run = {
  id: 'run1',
  orchestration: 'contract_approval',
  version: 1,
  status: 'in_progress',
  label: 'Contract approval',
  current_node: 'finance',
  current_stage: 'finance',
  stages,
  history: [
    { stage: 'legal', visit: 1, status: 'completed' },
    { stage: 'finance', visit: 1, status: 'in_progress' },
  ],
  work_items: [item],
};
let completion: { status: number; body: unknown };
let itemNow: Record<string, unknown>;
let runItems: unknown[];
let posted: Array<{ url: string; body: unknown }>;

beforeEach(() => {
  posted = [];
  runItems = [];
  itemNow = { ...item };
  completion = { status: 200, body: { ...item, status: 'completed', outcome: 'approve', completed_by: 'fiona' } };
  useSessionStore.setState({ user: { username: 'fiona', role: 'member' } });
  vi.stubGlobal('WebSocket', undefined);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'POST') {
        posted.push({ url, body: JSON.parse(init.body as string) });
        if (url.endsWith('/claim')) return Response.json({ ...item, status: 'claimed', claimed_by: 'fiona' });
        return Response.json(completion.body, { status: completion.status });
      }
      if (url === '/api/work-items/wi1')
        return Response.json({
          ...itemNow,
          form,
          step_label: 'Check pricing and terms',
          record,
          run_status: 'in_progress',
          context,
        });
      if (url === '/api/work-items/gone')
        return Response.json(
          { error: { code: 'not_found', message: 'work item gone does not exist' } },
          { status: 404 },
        );
      if (url.startsWith('/api/work-items?mine=1&run=run1'))
        return Response.json({ items: runItems, next_cursor: null });
      if (url === '/api/runs/run1') return Response.json(run);
      if (url === '/api/orchestrations/contract_approval/versions/1')
        return Response.json({ key: 'contract_approval', number: 1, document: contractApproval, active: true });
      if (url.startsWith('/api/record-types')) {
        return Response.json({
          items: [
            {
              name: 'contract',
              label: 'Contract',
              fields: [
                { name: 'title', type: 'string' },
                { name: 'customer', type: 'string' },
                { name: 'amount', type: 'number' },
              ],
            },
          ],
          next_cursor: null,
        });
      }
      return Response.json({ items: [], next_cursor: null });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderItem(id = 'wi1') {
  render(
    <MemoryRouter initialEntries={[`/work/${id}`]}>
      <Routes>
        <Route path="/work/:itemId" element={<ItemPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('a work item’s own page', () => {
  it('shows the step, who it is for, the record, the steps before and the progress', async () => {
    renderItem();
    expect(await screen.findByRole('heading', { name: 'Check pricing and terms', level: 1 })).toBeTruthy();
    expect(screen.getByTestId('work-guide-assignment').textContent).toMatch(
      /^For the Finance group · due .+ · Overdue · Claim it$/,
    );
    expect(screen.getByTestId('item-orchestration').textContent).toMatch(
      /^Contract approval · on Acme MSA · started by Sam Sales on /,
    );
    expect(screen.getByRole('link', { name: 'Acme MSA' }).getAttribute('href')).toBe('/records/contract/rec1');
    const summary = await screen.findByRole('region', { name: 'Contract: Acme MSA' });
    expect(summary.textContent).toContain('Customer');
    expect(summary.textContent).toContain('12000');
    expect(summary.textContent).not.toContain('sam'); // the owner is not one of the main fields
    const earlier = await screen.findByTestId('item-earlier-steps');
    expect(earlier.textContent).toMatch(/^Review contract terms: Approve — Alice Legal, /);
    expect(earlier.querySelectorAll('li')).toHaveLength(1);
    expect((await screen.findByTestId('progress-current')).textContent).toBe('Finance review');
    expect(screen.getByLabelText('Margin (%) *')).toBeTruthy();
  });

  it('claims the step for me', async () => {
    renderItem();
    const claim = await screen.findByRole('button', { name: 'Claim it' });
    itemNow = { ...item, status: 'claimed', claimed_by: 'fiona', claimed_by_name: 'Fiona Finance' };
    fireEvent.click(claim);
    expect(await screen.findByRole('button', { name: 'Release it' })).toBeTruthy();
    expect(screen.getByTestId('work-guide-assignment').textContent).toContain('claimed by you');
    expect(posted.map((p) => p.url)).toEqual(['/api/work-items/wi1/claim']);
  });

  it('completes it, says so, and leads on to my next step on the run', async () => {
    renderItem();
    fireEvent.change(await screen.findByLabelText('Margin (%) *'), { target: { value: '28' } });
    itemNow = {
      ...item,
      status: 'completed',
      completed_by: 'fiona',
      completed_by_name: 'Fiona Finance',
      outcome: 'approve',
      completed_at: '2026-11-26T10:00:00Z',
    };
    runItems = [{ ...item, id: 'wi2', label: 'Double-check the discount', status: 'open' }];
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect((await screen.findByRole('status')).textContent).toBe('Done: Check pricing and terms — Approve.');
    expect(posted).toEqual([
      { url: '/api/work-items/wi1/complete', body: { outcome: 'approve', values: { margin: 28 }, comment: null } },
    ]);
    expect((await screen.findByTestId('work-guide-completed')).textContent).toMatch(
      /^Completed by you on .+: Approve\.$/,
    );
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Back to My work' }).getAttribute('href')).toBe('/work');
    expect(
      (await screen.findByRole('link', { name: 'Next step on this run: Double-check the discount' })).getAttribute(
        'href',
      ),
    ).toBe('/work/wi2');
  });

  it('shows a completed step read-only: who completed it, how', async () => {
    itemNow = {
      ...item,
      status: 'completed',
      completed_by: 'frank',
      completed_by_name: 'Frank Finance',
      outcome: 'reject',
      comment: 'Too cheap.',
    };
    renderItem();
    expect((await screen.findByTestId('work-guide-completed')).textContent).toBe(
      'Completed by Frank Finance: Reject. Comment: “Too cheap.”',
    );
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Claim it' })).toBeNull();
    expect(screen.queryByRole('navigation', { name: 'Where next' })).toBeNull();
  });

  it('says when a colleague completed it first (409), by name', async () => {
    completion = { status: 409, body: { error: { code: 'conflict', message: 'work item wi1 is completed' } } };
    renderItem();
    fireEvent.change(await screen.findByLabelText('Margin (%) *'), { target: { value: '28' } });
    itemNow = {
      ...item,
      status: 'completed',
      completed_by: 'frank',
      completed_by_name: 'Frank Finance',
      outcome: 'approve',
    };
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe(
        'Frank Finance completed this step meanwhile (Approve); your answer was not recorded.',
      ),
    );
    expect(screen.getByTestId('work-guide-completed').textContent).toContain('Completed by Frank Finance');
    expect(screen.queryByRole('navigation', { name: 'Where next' })).toBeNull();
  });

  it('shows the server’s verdict next to a field (422)', async () => {
    completion = {
      status: 422,
      body: {
        error: {
          code: 'invalid',
          message: 'the form is not valid',
          details: { fields: { margin: ['must be at most 100'] } },
        },
      },
    };
    renderItem();
    fireEvent.change(await screen.findByLabelText('Margin (%) *'), { target: { value: '280' } });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(await screen.findByText('Margin (%) must be at most 100')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toBe('the form is not valid');
  });

  it('says plainly when the item is not there or not mine (404)', async () => {
    renderItem('gone');
    expect(await screen.findByRole('heading', { name: 'Work item not found', level: 1 })).toBeTruthy();
    expect(screen.getByTestId('item-not-found').textContent).toContain('it is not yours');
    expect(screen.getByRole('link', { name: 'Back to My work' }).getAttribute('href')).toBe('/work');
  });
});
