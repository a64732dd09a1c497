// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { useInboxStore } from '../store/inbox-store';
import { NotificationBell } from './notification-bell';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const NOTE = {
  id: 'n1',
  kind: 'assignment',
  subject: 'Refund for Rita Ruiz',
  body: 'Verify the claim',
  run_id: 'r1',
  work_item_id: 'w1',
  created_at: '2026-12-06T05:00:00+00:00',
  record: null,
  read: false,
};

describe('NotificationBell', () => {
  it('marks all read on the server, says so, and shows nothing new any more', async () => {
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'POST') return Response.json({ read_at: '2026-12-06T05:10:00+00:00' });
      expect(url).toBe('/api/notifications?limit=30');
      return Response.json({ items: [NOTE], next_cursor: null, read_at: null });
    });
    vi.stubGlobal('fetch', fetch);
    useInboxStore.setState({ latestNotificationAt: NOTE.created_at, lastSeenAt: null, readAt: null });
    render(
      <MemoryRouter>
        <NotificationBell user="fiona" />
      </MemoryRouter>,
    );

    fireEvent.click(screen.getByRole('button', { name: 'Notifications (new)' }));
    const item = (await screen.findByText('Refund for Rita Ruiz')).closest('li');
    expect(item?.className).toBe('bell__new');
    const mark = screen.getByRole('button', { name: 'Mark all read' });
    expect(mark.hasAttribute('disabled')).toBe(false);

    fireEvent.click(mark);
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('All notifications are marked read.'));
    expect(fetch.mock.calls.some(([url, init]) => url === '/api/notifications/read' && init?.method === 'POST')).toBe(
      true,
    );
    expect(item?.className).toBe('');
    expect(mark.hasAttribute('disabled')).toBe(true);
    expect(screen.getByRole('button', { name: 'Notifications' })).toBeTruthy(); // the unread dot is gone
    expect(localStorage.getItem('overture.notifications.seen.fiona')).toBe(NOTE.created_at);
  });

  it('shows as read what was marked read in another browser', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        Response.json({ items: [{ ...NOTE, read: true }], next_cursor: null, read_at: '2026-12-06T05:10:00+00:00' }),
      ),
    );
    useInboxStore.setState({
      latestNotificationAt: NOTE.created_at,
      lastSeenAt: null,
      readAt: '2026-12-06T05:10:00+00:00',
    });
    render(
      <MemoryRouter>
        <NotificationBell user="fiona" />
      </MemoryRouter>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Notifications' }));
    const item = (await screen.findByText('Refund for Rita Ruiz')).closest('li');
    expect(item?.className).toBe('');
    expect(screen.getByRole('button', { name: 'Mark all read' }).hasAttribute('disabled')).toBe(true);
  });
});
