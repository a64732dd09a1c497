// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { AdminPage } from '../../pages/admin-page';
import { useSessionStore } from '../../store/session-store';
import { actionLabel, changeLines } from './audit-tab';

const entries = [
  {
    id: 'e3',
    at: '2026-12-01T10:02:00Z',
    actor: 'ada',
    actor_kind: 'user',
    actor_name: 'Ada Admin',
    address: '10.0.0.7',
    action: 'version.activated',
    object_type: 'version',
    object_id: 'expense:3',
    object_label: 'Expense approval',
    before: { active_version: 2 },
    after: { active_version: 3, changes: { fields: ['label'] } },
  },
  {
    id: 'e2',
    at: '2026-12-01T10:01:00Z',
    actor: 'otto',
    actor_kind: 'user',
    actor_name: 'Otto Ops',
    address: '10.0.0.8',
    action: 'run.cancelled',
    object_type: 'run',
    object_id: 'r1',
    object_label: 'Expense approval v2',
    before: { status: 'in_progress' },
    after: { status: 'cancelled', reason: 'duplicate' },
  },
];
const older = {
  ...entries[1],
  id: 'e1',
  at: '2026-12-01T09:00:00Z',
  action: 'run.started',
  actor: 'token:crm',
  actor_kind: 'token',
  actor_name: 'API token crm',
  before: null,
  after: { status: 'in_progress', version: 2 },
};

let asked: string[];

beforeEach(() => {
  asked = [];
  useSessionStore.setState({ user: { username: 'ada', role: 'admin' } });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      asked.push(url);
      const [path, query = ''] = url.split('?');
      const params = new URLSearchParams(query);
      if (path === '/api/audit/actions')
        return Response.json({
          actions: ['run.cancelled', 'run.started', 'version.activated'],
          object_types: ['run', 'version'],
        });
      if (path === '/api/profile/people')
        return Response.json({
          items: [
            { username: 'ada', display_name: 'Ada Admin' },
            { username: 'otto', display_name: 'Otto Ops' },
          ],
        });
      if (path === '/api/audit') {
        if (params.get('cursor') === 'c1') return Response.json({ items: [older], next_cursor: null });
        const found = entries.filter((e) => !params.get('actor') || e.actor === params.get('actor'));
        return Response.json({ items: found, next_cursor: params.get('actor') ? null : 'c1' });
      }
      return Response.json({ error: { code: 'not_found', message: `no ${path}` } }, { status: 404 });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function Where() {
  const location = useLocation();
  return <output data-testid="where">{`${location.pathname}${location.search}`}</output>;
}

function renderAt(path: string) {
  render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/admin/:section" element={<AdminPage />} />
        <Route path="*" element={<Where />} />
      </Routes>
      <Where />
    </MemoryRouter>,
  );
}

const rowOf = async (text: string) => (await screen.findByText(text, { selector: 'td' })).closest('tr') as HTMLElement;

describe('AuditTab', () => {
  it('lists entries with names, where from, and what changed; an activation links to its diff', async () => {
    renderAt('/admin/audit');
    const cancelled = await rowOf('Run cancelled');
    expect(within(cancelled).getByText('Otto Ops')).toBeTruthy();
    expect(within(cancelled).getByText('from 10.0.0.8')).toBeTruthy();
    expect(within(cancelled).getByText('Expense approval v2')).toBeTruthy();
    expect(within(cancelled).getByText('status: in_progress → cancelled')).toBeTruthy();
    expect(within(cancelled).getByText('reason: — → duplicate')).toBeTruthy();
    expect(within(cancelled).queryByText('r1')).toBeNull(); // names, not ids
    const activated = await rowOf('Version activated');
    const diff = within(activated).getByRole('link', { name: 'Show changes from version 2 to 3' });
    expect(diff.getAttribute('href')).toBe('/builder/expense?compare=2..3');
    expect(screen.getByRole('link', { name: 'Export as CSV' }).getAttribute('href')).toBe('/api/audit/export.csv');
  });

  it('filters through the URL, keeps the filters in the export links, and pages on', async () => {
    renderAt('/admin/audit');
    await rowOf('Run cancelled');
    fireEvent.click(screen.getByRole('button', { name: 'Show older entries' }));
    const started = await rowOf('Run started');
    expect(within(started).getByText('API token crm')).toBeTruthy();
    expect(asked.some((u) => u.includes('cursor=c1'))).toBe(true);

    fireEvent.change(await screen.findByLabelText('Who'), { target: { value: 'otto' } });
    await waitFor(() => expect(screen.getByRole('option', { name: 'Otto Ops' })).toBeTruthy());
    fireEvent.click(screen.getByRole('button', { name: 'Show entries' }));
    await waitFor(() => expect(screen.getAllByTestId('where')[0]?.textContent).toBe('/admin/audit?actor=otto'));
    await waitFor(() => expect(screen.queryByText('Version activated', { selector: 'td' })).toBeNull());
    expect(screen.getByText('Run cancelled', { selector: 'td' })).toBeTruthy();
    expect(asked.at(-1)).toContain('/api/audit?actor=otto');
    expect(screen.getByRole('link', { name: 'Export as JSON lines' }).getAttribute('href')).toBe(
      '/api/audit/export.jsonl?actor=otto',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await rowOf('Version activated');
  });

  it('is not offered to someone who is not an admin', () => {
    useSessionStore.setState({ user: { username: 'otto', role: 'ops' } });
    renderAt('/admin/audit');
    expect(screen.getByRole('alert').textContent).toContain('Administration is for admins');
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('the change of an entry', () => {
  it('reads field by field, or as a whole when it is not an object', () => {
    expect(changeLines(null, { name: 'crm' })).toEqual(['name: — → crm']);
    expect(changeLines({ vars: { note: 'a' } }, { vars: { note: 'b' } })).toEqual([
      'vars: {"note":"a"} → {"note":"b"}',
    ]);
    expect(changeLines(null, null)).toEqual([]);
    expect(changeLines('x', 'y')).toEqual(['x → y']);
    expect(actionLabel('work_item.completed_on_behalf')).toBe('Work item completed on behalf');
    expect(
      changeLines({ revision: 1 }, { revision: 2, changes: { nodes: { added: ['a', 'b'] }, fields: ['label'] } }),
    ).toEqual(['revision: 1 → 2', 'changed: nodes added a, b; fields label']);
  });
});
