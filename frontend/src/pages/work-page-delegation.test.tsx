// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useSessionStore } from '../store/session-store';
import { WorkPage } from './work-page';

const item = (id: string, label: string, onBehalfOf: string | null) => ({
  id, run_id: `run-${id}`, orchestration: 'milestones', step_id: 's', stage_id: 'st', visit: 1, label,
  assignee: { type: 'user', value: 'dana' }, status: 'open', claimed_by: null, created_at: '2026-12-01T09:00:00Z', due_at: null,
  overdue: false, record: null, on_behalf_of: onBehalfOf,
});

beforeEach(() => {
  useSessionStore.setState({ user: { username: 'dana', role: 'member' } });
  vi.stubGlobal('WebSocket', undefined);
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    if (url.startsWith('/api/work-items')) {
      return Response.json({ items: [item('w1', 'Approve the plan', 'pat'), item('w2', 'Build it', null)], next_cursor: null });
    }
    if (url === '/api/profile/people') return Response.json({ items: [{ username: 'pat', display_name: 'Pat PM' }] });
    return Response.json({ items: [], next_cursor: null });
  }));
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('WorkPage', () => {
  it('says for whom a delegate does work, by display name', async () => {
    render(<MemoryRouter><WorkPage /></MemoryRouter>);
    const delegated = (await screen.findByText('Approve the plan')).closest('tr')!;
    await vi.waitFor(() => expect(delegated.textContent).toContain('you (for Pat PM)'));
    const own = screen.getByText('Build it').closest('tr')!;
    expect(own.textContent).not.toContain('for ');
  });
});
