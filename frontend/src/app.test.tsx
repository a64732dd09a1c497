// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { App } from './app';
import { setCsrfToken } from './lib/api';
import { useSessionStore } from './store/session-store';

beforeEach(() => {
  useSessionStore.setState({ user: { username: 'erin', role: 'member' } });
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => Response.json({ items: [], next_cursor: null })),
  );
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

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <App />
    </MemoryRouter>,
  );
}

it('puts every signed-in page in one shell: the navigation for the role, once', async () => {
  renderAt('/runs');
  expect(await screen.findByRole('heading', { level: 1, name: 'My runs' })).toBeTruthy();
  expect(screen.getAllByRole('navigation', { name: 'Main' })).toHaveLength(1);
  const links = within(screen.getByRole('navigation', { name: 'Main' }))
    .getAllByRole('link')
    .map((a) => a.textContent);
  expect(links).toEqual(['My work', 'Records', 'Orchestrations', 'My runs']);
  // The runs list does not repeat the page's heading.
  expect(screen.getAllByRole('heading', { name: /runs/i })).toHaveLength(1);
});

it('shows an unknown path as "Page not found" in the shell, with a way back', async () => {
  renderAt('/no/such/page');
  expect(await screen.findByRole('heading', { name: 'Page not found' })).toBeTruthy();
  expect(screen.getByRole('navigation', { name: 'Main' })).toBeTruthy();
  expect(screen.getByRole('link', { name: 'Go to the orchestrations' }).getAttribute('href')).toBe('/');
});

it('shows an unknown path plainly, with a sign-in link, to someone not signed in', async () => {
  useSessionStore.setState({ user: null });
  renderAt('/no/such/page');
  expect(await screen.findByRole('heading', { name: 'Page not found' })).toBeTruthy();
  expect(screen.queryByRole('navigation', { name: 'Main' })).toBeNull();
  expect(screen.getByRole('link', { name: 'Sign in to Overture' }).getAttribute('href')).toBe(
    '/login?next=%2Fno%2Fsuch%2Fpage',
  );
});

describe('the user menu', () => {
  it('opens from its button, closes on Escape and gives the focus back', async () => {
    useSessionStore.setState({ user: { username: 'erin', role: 'member', display_name: 'Erin Example' } });
    renderAt('/work');
    const button = await screen.findByRole('button', { name: 'Account: Erin Example' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(screen.getByRole('link', { name: 'Profile' }).getAttribute('href')).toBe('/profile');
    screen.getByRole('switch', { name: /Dark mode/ }).focus();
    fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByRole('link', { name: 'Profile' })).toBeNull();
    expect(document.activeElement).toBe(button);
  });

  it('switches dark mode and says so', async () => {
    renderAt('/work');
    fireEvent.click(await screen.findByRole('button', { name: /^Account/ }));
    const dark = screen.getByRole('switch', { name: /Dark mode/ });
    const before = dark.getAttribute('aria-checked');
    fireEvent.click(dark);
    expect(dark.getAttribute('aria-checked')).not.toBe(before);
    expect(document.documentElement.getAttribute('data-theme')).toBe(before === 'true' ? 'light' : 'dark');
  });

  it('signs out with DELETE /api/session and the CSRF token, then loads the sign-in page', async () => {
    setCsrfToken('token-1');
    const replace = vi.fn();
    vi.stubGlobal('location', { ...window.location, replace });
    const fetchMock = vi.fn(async (_url: string, init?: RequestInit) =>
      init?.method === 'DELETE'
        ? Response.json({ signed_out: 'erin' })
        : Response.json({ items: [], next_cursor: null }),
    );
    vi.stubGlobal('fetch', fetchMock);
    renderAt('/work');
    fireEvent.click(await screen.findByRole('button', { name: /^Account/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(replace).toHaveBeenCalledWith('/login'));
    const call = fetchMock.mock.calls.find(([, init]) => init?.method === 'DELETE');
    expect(call?.[0]).toBe('/api/session');
    expect((call?.[1]?.headers as Record<string, string>)['X-CSRF-Token']).toBe('token-1');
  });

  it('says so when signing out fails, and stays', async () => {
    setCsrfToken('token-1');
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: string, init?: RequestInit) =>
        init?.method === 'DELETE'
          ? Response.json({ error: { code: 'csrf', message: 'missing or wrong X-CSRF-Token header' } }, { status: 403 })
          : Response.json({ items: [], next_cursor: null }),
      ),
    );
    renderAt('/work');
    fireEvent.click(await screen.findByRole('button', { name: /^Account/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Could not sign out: missing or wrong X-CSRF-Token header',
    );
  });
});
