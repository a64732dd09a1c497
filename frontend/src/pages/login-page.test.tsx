// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { useSessionStore } from '../store/session-store';
import { LoginPage } from './login-page';

afterEach(cleanup);

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/builder/:key" element={<p>builder page</p>} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('LoginPage', () => {
  it('labels its fields and says what its button does', () => {
    renderAt('/login');
    expect(screen.getByLabelText('User name')).toHaveProperty('autocomplete', 'username');
    expect(screen.getByLabelText('Password')).toHaveProperty('type', 'password');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });

  it('signs in with the CSRF-token session and goes where it was asked to', async () => {
    const fetch = vi.fn(async () =>
      Response.json({ user: { username: 'ada', role: 'admin', groups: [] }, csrf_token: 'token-1' }),
    );
    vi.stubGlobal('fetch', fetch);
    renderAt('/login?next=%2Fbuilder%2Fexpense');
    fireEvent.change(screen.getByLabelText('User name'), { target: { value: 'ada' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'secret' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByText('builder page')).toBeTruthy());
    expect(fetch).toHaveBeenCalledWith(
      '/api/session',
      expect.objectContaining({ method: 'POST', body: JSON.stringify({ username: 'ada', password: 'secret' }) }),
    );
    expect(useSessionStore.getState().user?.username).toBe('ada');
    vi.unstubAllGlobals();
  });

  it('shows the server’s message when sign-in fails', async () => {
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
    fireEvent.change(screen.getByLabelText('User name'), { target: { value: 'ada' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('unknown user name or wrong password');
    vi.unstubAllGlobals();
  });
});
