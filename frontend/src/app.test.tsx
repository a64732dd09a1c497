// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';

import { App } from './app';
import { useSessionStore } from './store/session-store';

beforeEach(() => {
  useSessionStore.setState({ user: { username: 'erin', role: 'member' } });
  vi.stubGlobal('fetch', vi.fn(async () => Response.json({ items: [], next_cursor: null })));
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

it('shows a Loading… status while a lazily loaded page arrives, then the page', async () => {
  render(
    <MemoryRouter initialEntries={['/work']}>
      <App />
    </MemoryRouter>,
  );
  expect(screen.getByRole('status').textContent).toBe('Loading…');
  expect(await screen.findByRole('heading', { name: 'My work' })).toBeTruthy();
  expect(screen.queryAllByRole('status').filter((el) => el.textContent === 'Loading…')).toHaveLength(0);
});
