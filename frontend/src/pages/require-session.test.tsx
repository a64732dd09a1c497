// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { listMyWork } from '../lib/api';
import { useSessionStore } from '../store/session-store';
import { LoginPage } from './login-page';
import { RequireSession } from './require-session';

const ENDED = { error: { code: 'session_ended', message: 'your session ended; sign in again' } };

function WorkPage() {
  return (
    <>
      <p>the work page</p>
      <button type="button" onClick={() => void listMyWork().catch(() => undefined)}>
        Load work
      </button>
    </>
  );
}

function RecordsPage() {
  const location = useLocation();
  return (
    <p>
      the records page at {location.pathname}
      {location.search}
    </p>
  );
}

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route
          path="/work"
          element={
            <RequireSession>
              <WorkPage />
            </RequireSession>
          }
        />
        <Route
          path="/records"
          element={
            <RequireSession>
              <RecordsPage />
            </RequireSession>
          }
        />
      </Routes>
    </MemoryRouter>,
  );
}

beforeEach(() => {
  useSessionStore.setState({ user: { username: 'sam', role: 'member' }, ended: false });
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('when the session ends under the person', () => {
  it('goes to the sign-in page saying so, then back to where they were', async () => {
    let signedIn = false;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        if (url === '/api/session' && init?.method === 'POST') {
          signedIn = true;
          return Response.json({ user: { username: 'sam', role: 'member', groups: [] }, csrf_token: 't2' });
        }
        if (!signedIn) return Response.json(ENDED, { status: 401 });
        return Response.json({ items: [], next_cursor: null });
      }),
    );
    renderAt('/work');
    fireEvent.click(screen.getByRole('button', { name: 'Load work' }));
    expect((await screen.findByRole('status')).textContent).toBe('Your session ended — sign in again.');
    expect(screen.getByRole('heading', { name: 'Sign in to Overture' })).toBeTruthy();
    expect(useSessionStore.getState()).toMatchObject({ user: null, ended: true });

    fireEvent.change(screen.getByLabelText('User name'), { target: { value: 'sam' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'a whole new passphrase' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('the work page')).toBeTruthy();
    expect(useSessionStore.getState()).toMatchObject({ user: { username: 'sam' }, ended: false });
  });

  it('keeps the query of the page in the way back', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Response.json({ user: { username: 'sam', role: 'member', groups: [] }, csrf_token: 't3' })),
    );
    useSessionStore.setState({ user: null, ended: true });
    renderAt('/records?type=contract');
    expect((await screen.findByRole('status')).textContent).toMatch(/session ended/);
    fireEvent.change(screen.getByLabelText('User name'), { target: { value: 'sam' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'a whole new passphrase' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('the records page at /records?type=contract')).toBeTruthy();
  });
});

describe('a wrong password at sign-in', () => {
  it('is about the attempt: no "session ended" message, nobody signed out', async () => {
    useSessionStore.setState({ user: null, ended: false });
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        Response.json(
          { error: { code: 'bad_credentials', message: 'unknown user name or wrong password' } },
          { status: 401 },
        ),
      ),
    );
    renderAt('/login');
    fireEvent.change(screen.getByLabelText('User name'), { target: { value: 'sam' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('unknown user name or wrong password');
    expect(screen.queryByRole('status')).toBeNull();
    await waitFor(() => expect(useSessionStore.getState().ended).toBe(false));
  });

  it('for someone never signed in, a 401 is no "session ended"', async () => {
    useSessionStore.setState({ user: null, ended: false });
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        Response.json({ error: { code: 'unauthenticated', message: 'sign in first' } }, { status: 401 }),
      ),
    );
    renderAt('/work');
    await screen.findByRole('heading', { name: 'Sign in to Overture' });
    expect(screen.queryByRole('status')).toBeNull();
  });
});
