// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useSessionStore } from '../store/session-store';
import { MigrationAction } from './migration-action';

const ORCHESTRATION = {
  key: 'contract',
  label: 'Contract approval',
  active_version: 3,
  draft: { key: 'contract', revision: 1, document: {}, issues: [], valid: true },
  versions: [1, 2, 3].map((number) => ({ number, created_at: '2026-01-01T00:00:00Z' })),
};
const RUN = {
  orchestration: 'contract',
  status: 'in_progress',
  current_node: 'legal',
  started_by: null,
  started_at: '2026-01-02T00:00:00Z',
  ended_at: null,
  record: null,
  error: null,
};

let liveOn: number[];
let asked: string[];

beforeEach(() => {
  liveOn = [1];
  asked = [];
  useSessionStore.setState({ user: { username: 'otto', role: 'ops' } } as never);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      asked.push(url);
      if (url === '/api/orchestrations/contract') return Response.json(ORCHESTRATION);
      if (url.startsWith('/api/runs?')) {
        const query = new URLSearchParams(url.split('?')[1]);
        const version = Number(query.get('version'));
        const items = liveOn.includes(version) ? [{ ...RUN, id: `r${version}`, version }] : [];
        return Response.json({ items, next_cursor: null });
      }
      return Response.json({ error: { code: 'not_found', message: 'no' } }, { status: 404 });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const renderAction = () =>
  render(
    <MemoryRouter>
      <MigrationAction orchestration="contract" />
    </MemoryRouter>,
  );

describe('MigrationAction', () => {
  it('offers to move runs to the active version when live runs sit on an older one', async () => {
    renderAction();
    const link = await screen.findByRole('link', { name: 'Move runs to version 3…' });
    expect(link.getAttribute('href')).toBe('/orchestrations/contract/migrate');
    expect(screen.getByTestId('migration-action').textContent).toContain('Some runs are still on version 1.');
    // Only runs that have not ended count, one per version is enough, and the active version is not asked.
    const runQueries = asked.filter((u) => u.startsWith('/api/runs?')).map((u) => new URLSearchParams(u.split('?')[1]));
    expect(runQueries.map((q) => q.get('version')).sort()).toEqual(['1', '2']);
    expect(runQueries.every((q) => q.get('status') === 'in_progress,suspended,error' && q.get('limit') === '1')).toBe(
      true,
    );
  });

  it('offers nothing when every live run is on the active version', async () => {
    liveOn = [3];
    renderAction();
    await waitFor(() => expect(asked.filter((u) => u.startsWith('/api/runs?'))).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByTestId('migration-action')).toBeNull();
  });

  it('offers nothing to a member, and asks nothing', async () => {
    useSessionStore.setState({ user: { username: 'sam', role: 'member' } } as never);
    renderAction();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByTestId('migration-action')).toBeNull();
    expect(asked).toEqual([]);
  });
});
