// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useSessionStore } from '../store/session-store';
import { WorkPage } from './work-page';

const base = {
  run_id: 'run1',
  orchestration: 'contract_approval',
  orchestration_label: 'Contract approval',
  stage_id: 'legal',
  visit: 1,
  status: 'open',
  claimed_by: null,
  created_at: '2026-11-25T09:00:00Z',
  due_at: null,
  overdue: false,
};
const items = [
  {
    ...base,
    id: 'wi1',
    step_id: 'legal_review',
    label: 'Review contract terms',
    assignee: { type: 'group', value: 'legal' },
    assignee_name: 'Legal',
    record: { object: 'contract', id: 'rec1' },
  },
  {
    ...base,
    id: 'wi2',
    run_id: 'run2',
    orchestration: 'customer_onboarding',
    orchestration_label: 'Customer onboarding',
    step_id: 'check_details',
    label: 'Check customer details',
    assignee: { type: 'group', value: 'sales' },
    assignee_name: 'Sales',
    status: 'claimed',
    claimed_by: 'sam',
    claimed_by_name: 'Sam Sales',
    record: null,
  },
  // Delegated: meant for pat, who is out of office.
  {
    ...base,
    id: 'wi3',
    run_id: 'run3',
    step_id: 'approve',
    label: 'Approve the plan',
    assignee: { type: 'user', value: 'alice' },
    assignee_name: 'Alice Legal',
    on_behalf_of: 'pat',
    on_behalf_of_name: 'Pat PM',
    record: null,
  },
];

beforeEach(() => {
  useSessionStore.setState({ user: { username: 'alice', role: 'member' } });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      if (url.startsWith('/api/work-items?mine=1')) return Response.json({ items, next_cursor: null });
      if (url === '/api/records/contract/rec1') {
        return Response.json({
          id: 'rec1',
          object: 'contract',
          owner: 'sam',
          fields: { title: 'Acme MSA' },
          created_at: '2026-11-25T08:00:00Z',
          updated_at: '2026-11-25T08:00:00Z',
          revision: 0,
          runs: [],
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

describe('My work', () => {
  it('links every step to its own page, and the record to the record’s page', async () => {
    render(
      <MemoryRouter>
        <WorkPage />
      </MemoryRouter>,
    );
    const review = within(await screen.findByTestId('work-item-wi1'));
    expect(review.getByRole('link', { name: 'Review contract terms' }).getAttribute('href')).toBe('/work/wi1');
    expect((await review.findByRole('link', { name: 'Acme MSA' })).getAttribute('href')).toBe('/records/contract/rec1');
    expect(review.getByText('the Legal group')).toBeTruthy();
    // The orchestration by its label, in the column and in the filter.
    expect(review.getByText('Contract approval')).toBeTruthy();
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(
      expect.arrayContaining(['Contract approval', 'Customer onboarding']),
    );
    expect(screen.queryByText('contract_approval')).toBeNull();

    const check = within(screen.getByTestId('work-item-wi2'));
    expect(check.getByRole('link', { name: 'Check customer details' }).getAttribute('href')).toBe('/work/wi2');
    expect(check.getByText('none')).toBeTruthy();
    expect(check.getByText(/claimed by Sam Sales/)).toBeTruthy();
  });

  it('says for whom a delegate does work, by display name', async () => {
    render(
      <MemoryRouter>
        <WorkPage />
      </MemoryRouter>,
    );
    expect((await screen.findByTestId('work-item-wi3')).textContent).toContain('you (for Pat PM)');
    expect(screen.getByTestId('work-item-wi1').textContent).not.toContain('(for ');
  });
});

describe('My work, a page at a time', () => {
  it('shows the first page with how many there are, loads more on request, and filters on the server', async () => {
    const asked: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        if (url.startsWith('/api/work-items?')) {
          asked.push(url);
          if (url.includes('cursor=c1')) return Response.json({ items: [items[2]], next_cursor: null });
          if (url.includes('overdue=1')) return Response.json({ items: [], next_cursor: null, total: 0 });
          return Response.json({ items: items.slice(0, 2), next_cursor: 'c1', total: 3 });
        }
        return Response.json({ items: [], next_cursor: null });
      }),
    );
    render(
      <MemoryRouter>
        <WorkPage />
      </MemoryRouter>,
    );
    expect((await screen.findByTestId('work-shown')).textContent).toBe('2 of 3 shown');
    expect(asked[0]).toBe('/api/work-items?mine=1&limit=50&total=1');
    expect(screen.queryByTestId('work-item-wi3')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByTestId('work-item-wi3')).toBeTruthy();
    expect(asked.at(-1)).toBe('/api/work-items?mine=1&limit=50&cursor=c1');
    expect(screen.getByTestId('work-shown').textContent).toBe('3 of 3 shown');
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull(); // nothing more to load

    fireEvent.change(screen.getByRole('combobox', { name: /Status/ }), { target: { value: 'overdue' } });
    expect(await screen.findByText('No work item matches these filters.')).toBeTruthy();
    expect(asked.at(-1)).toBe('/api/work-items?mine=1&overdue=1&limit=50&total=1');
  });
});
