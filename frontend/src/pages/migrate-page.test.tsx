// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useNamesStore } from '../store/names-store';
import { useSessionStore } from '../store/session-store';
import { MigratePage } from './migrate-page';

const at = (x: number, y: number) => ({ ui: { x, y } });
const V1 = {
  format: 1,
  key: 'contract',
  label: 'Contract approval',
  nodes: [
    { id: 'start', type: 'start', ...at(0, 0) },
    { id: 'legal', type: 'stage', label: 'Legal', ...at(100, 0) },
    { id: 'budget', type: 'stage', label: 'Budget check', ...at(400, 0) },
    { id: 'done', type: 'end', label: 'Done', ...at(700, 0) },
  ],
  edges: [],
};
const V2 = {
  ...V1,
  nodes: [
    { id: 'start', type: 'start', ...at(0, 0) },
    { id: 'legal', type: 'stage', label: 'Legal', ...at(100, 0) },
    { id: 'finance', type: 'stage', label: 'Finance', ...at(400, 0) },
    { id: 'compliance', type: 'stage', label: 'Compliance', ...at(700, 0) },
    { id: 'done', type: 'end', label: 'Done', ...at(1000, 0) },
  ],
};
const ORCHESTRATION = {
  key: 'contract',
  label: 'Contract approval',
  active_version: 2,
  draft: { key: 'contract', revision: 3, document: V2, issues: [], valid: true },
  versions: [
    { number: 1, created_at: '2026-01-01T00:00:00Z' },
    { number: 2, created_at: '2026-02-01T00:00:00Z' },
  ],
};
const REPORT = {
  orchestration: 'contract',
  target: 2,
  sources: [1],
  plan: {},
  total: 3,
  movable: 2,
  refused: 1,
  skipped: 0,
  summary: '2 can move; 1 cannot: 1 sits on Budget check, removed in version 2 without a mapping',
  groups: [
    {
      code: 'removed',
      node: 'budget',
      message: 'sits on Budget check, removed in version 2 without a mapping',
      count: 1,
      runs: ['r3aaaaaaaaa'],
      names: ['ACME renewal'],
    },
  ],
  notes: [{ message: 'variable risk is new: it starts as None', count: 2 }],
  runs: [
    {
      run_id: 'r3aaaaaaaaa',
      name: 'ACME renewal',
      version: 1,
      at: 'budget',
      at_label: 'Budget check',
      status: 'in_progress',
      movable: false,
      reasons: [
        { code: 'removed', node: 'budget', message: 'sits on Budget check, removed in version 2 without a mapping' },
      ],
      notes: [],
    },
    {
      run_id: 'r1bbbbbbbbb',
      name: 'Globex lease',
      version: 1,
      at: 'legal',
      at_label: 'Legal',
      status: 'in_progress',
      movable: true,
      reasons: [],
      notes: ['variable risk is new: it starts as None'],
    },
  ],
  runs_truncated: false,
};
const view = (status: string, moved: number) => ({
  id: 'm1',
  orchestration: 'contract',
  target: 2,
  sources: [1],
  status,
  total: 2,
  handled: moved,
  moved,
  refused: 0,
  skipped: 0,
  failed: 0,
  summary: `${moved} can move`,
  groups: [],
  runs:
    status === 'completed' ? [{ run_id: 'r1bbbbbbbbb', name: 'Globex lease', outcome: 'moved', from_version: 1 }] : [],
});

let posted: Record<string, unknown>[];
let dryRunAnswer: { status: number; body: unknown };
let polls: string[];

beforeEach(() => {
  posted = [];
  polls = ['running', 'completed'];
  dryRunAnswer = { status: 200, body: REPORT };
  useSessionStore.setState({ user: { username: 'olga', role: 'ops' } } as never);
  useNamesStore.setState({ status: 'idle' });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      if (url === '/api/orchestrations/contract') return Response.json(ORCHESTRATION);
      if (url === '/api/orchestrations/contract/versions/1')
        return Response.json({ key: 'contract', number: 1, document: V1, active: false });
      if (url === '/api/orchestrations/contract/versions/2')
        return Response.json({ key: 'contract', number: 2, document: V2, active: true });
      if (url.startsWith('/api/runs?')) {
        const version = new URLSearchParams(url.split('?')[1]).get('version');
        const items =
          version === '1'
            ? [
                {
                  id: 'r1bbbbbbbbb',
                  orchestration: 'contract',
                  version: 1,
                  status: 'in_progress',
                  current_node: 'legal',
                  started_by: null,
                  started_at: '2026-01-02T00:00:00Z',
                  ended_at: null,
                  record: null,
                  error: null,
                },
              ]
            : [];
        return Response.json({ items, next_cursor: null });
      }
      if (url === '/api/orchestrations/contract/migrations' && init?.method === 'POST') {
        const body = JSON.parse(init.body as string) as Record<string, unknown>;
        posted.push(body);
        if (body.dry_run) return Response.json(dryRunAnswer.body, { status: dryRunAnswer.status });
        return Response.json(view('queued', 0), { status: 202 });
      }
      if (url === '/api/orchestrations/contract/migrations/m1/cancel' && init?.method === 'POST') {
        polls = ['cancelled'];
        return Response.json(view('cancelled', 1));
      }
      if (url === '/api/orchestrations/contract/migrations/m1') {
        const status = (polls.length > 1 ? polls.shift() : polls[0]) ?? 'completed';
        return Response.json(view(status, status === 'completed' ? 2 : 1));
      }
      return Response.json({ error: { code: 'not_found', message: `no ${url}` } }, { status: 404 });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderPage(path = '/orchestrations/contract/migrate') {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/orchestrations/:key/migrate" element={<MigratePage />} />
      </Routes>
    </MemoryRouter>,
  );
}

async function toMapping() {
  renderPage();
  const from = await screen.findByRole('checkbox', { name: /Version 1/ });
  expect((from as HTMLInputElement).checked).toBe(true); // every version with live runs but the target
  expect(screen.getByRole<HTMLSelectElement>('combobox', { name: /To version/ }).value).toBe('2');
  fireEvent.click(screen.getByRole('button', { name: 'Next: mapping' }));
  await screen.findByRole('heading', { name: 'Where each node lands' });
  // The new step has the focus: the button that led there is gone.
  expect(document.activeElement?.getAttribute('aria-labelledby')).toBe('mapping-title');
}

describe('MigratePage', () => {
  it('starts from the versions with live runs towards the active one, with a way back', async () => {
    renderPage();
    await screen.findByRole('heading', { name: /Move runs of Contract approval to version 2/ });
    expect(screen.getByRole('link', { name: 'Back to the runs' }).getAttribute('href')).toBe(
      '/runs?orchestration=contract',
    );
    expect(screen.getByRole('navigation', { name: 'Breadcrumb' }).textContent).toContain('Contract approval');
    expect(screen.queryByRole('checkbox', { name: /Version 2/ })).toBeNull();
  });

  it('shows the mapping by name: removed nodes ask for a place among nodes of their kind', async () => {
    await toMapping();
    const select = screen.getByRole('combobox', { name: 'Where Budget check goes in version 2' });
    expect((select as HTMLSelectElement).value).toBe('');
    expect(
      within(select)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['Removed — map it', 'Legal', 'Finance', 'Compliance']);
    expect(screen.getByTestId('unmapped').textContent).toContain('1 node of version 1 has no place in version 2');
    fireEvent.change(select, { target: { value: 'finance' } });
    expect(screen.getByText('mapped by you')).toBeTruthy();
    expect(screen.queryByTestId('unmapped')).toBeNull();
    // Both canvases are drawn, captioned by version.
    expect(screen.getByRole('figure', { name: 'Version 1 (now)' })).toBeTruthy();
    expect(screen.getByRole('figure', { name: 'Version 2 (after the move)' })).toBeTruthy();
  });

  it('refuses to go on while two nodes land on one', async () => {
    await toMapping();
    fireEvent.change(screen.getByRole('combobox', { name: 'Where Budget check goes in version 2' }), {
      target: { value: 'legal' },
    });
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Next: dry run' }).disabled).toBe(true);
    expect(screen.getAllByText(/Legal is already the place of/).length).toBeGreaterThan(0);
  });

  it('runs the dry run with the mapping, shows the report, reruns it when the plan changes, then applies with progress', async () => {
    await toMapping();
    fireEvent.change(screen.getByRole('combobox', { name: 'Where Budget check goes in version 2' }), {
      target: { value: 'finance' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Next: dry run' }));
    expect((await screen.findByTestId('dry-run-summary')).textContent).toContain('2 can move; 1 cannot');
    expect(posted[0]).toEqual({
      target: 2,
      sources: [1],
      mapping: { budget: 'finance' },
      timers: 'keep',
      dry_run: true,
    });
    expect(screen.getByTestId('refusal-groups').textContent).toContain(
      '1 sits on Budget check, removed in version 2 without a mapping — for example ACME renewal',
    );
    expect(screen.getByTestId('migration-notes').textContent).toContain(
      'variable risk is new: it starts as None (2 runs)',
    );
    const table = screen.getByRole('table');
    const row = within(table).getByRole('link', { name: 'ACME renewal' }).closest('tr')!;
    expect(row.textContent).toContain('Budget check');
    expect(row.textContent).toContain('No');

    fireEvent.click(screen.getByRole('checkbox', { name: /Work out the due date again/ }));
    expect(screen.getByText('The plan changed since this dry run.')).toBeTruthy();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Next: apply' }).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Run the dry run again' }));
    await waitFor(() => expect(posted).toHaveLength(2));
    expect(posted[1]).toMatchObject({ recompute: ['due'], dry_run: true });
    await waitFor(() =>
      expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Next: apply' }).disabled).toBe(false),
    );

    fireEvent.click(screen.getByRole('button', { name: 'Next: apply' }));
    fireEvent.click(screen.getByRole('button', { name: 'Move 2 runs…' }));
    const dialog = screen.getByRole('dialog', { name: 'Move 2 runs to version 2?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Move runs' }));
    await waitFor(() => expect(posted).toHaveLength(3));
    expect(posted[2]).toMatchObject({ dry_run: false, mapping: { budget: 'finance' }, recompute: ['due'] });
    expect(await screen.findByText(/moved 1 of 2/, {}, { timeout: 3000 })).toBeTruthy();
    expect(await screen.findByText('Done.', {}, { timeout: 3000 })).toBeTruthy();
    expect(screen.getByRole('status').textContent).toContain('moved 2 of 2');
    expect(screen.getByRole('link', { name: 'Globex lease' }).getAttribute('href')).toBe('/runs/r1bbbbbbbbb');
    expect(screen.getByRole('link', { name: 'See the runs on version 2' }).getAttribute('href')).toBe(
      '/runs?orchestration=contract&version=2',
    );
  });

  it("shows a refused plan's errors by field and by node", async () => {
    dryRunAnswer = {
      status: 422,
      body: {
        error: {
          code: 'invalid_input',
          message: 'the node mapping is not valid',
          details: { mapping: { budget: "is a stage and 'review' a interactive; a node maps to one of its kind" } },
        },
      },
    };
    await toMapping();
    fireEvent.click(screen.getByRole('button', { name: 'Next: dry run' }));
    const alert = await screen.findByText('the node mapping is not valid');
    expect(alert.closest('[role=alert]')?.textContent).toContain('Budget check: is a stage');
    fireEvent.click(screen.getByRole('button', { name: 'Fix the mapping' }));
    await screen.findByRole('heading', { name: 'Where each node lands' });
    expect(
      screen.getByRole('combobox', { name: 'Where Budget check goes in version 2' }).getAttribute('aria-invalid'),
    ).toBe('true');
  });

  it('follows a migration under way from its link, and cancels it', async () => {
    polls = ['running'];
    renderPage('/orchestrations/contract/migrate?migration=m1');
    expect((await screen.findByText('Moving runs…')).closest('[role=status]')?.textContent).toContain('moved 1 of 2');
    const bar = screen.getByRole('progressbar');
    expect([bar.getAttribute('value'), bar.getAttribute('max')]).toEqual(['1', '2']);
    // Only the apply step is reachable while it runs.
    expect(screen.getByRole<HTMLButtonElement>('button', { name: '1. Versions' }).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel the migration' }));
    expect(await screen.findByText('Cancelled.')).toBeTruthy();
    expect(screen.getByTestId('migration-summary').textContent).toBe(
      '1 run moved to version 2 (cancelled before the end).',
    );
    expect(screen.queryByRole('button', { name: 'Cancel the migration' })).toBeNull();
  });

  it('tells a member it is not for them', async () => {
    useSessionStore.setState({ user: { username: 'sam', role: 'member' } } as never);
    renderPage();
    expect((await screen.findByRole('alert')).textContent).toContain('Only admins and ops move runs');
  });
});
