// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useSessionStore } from '../store/session-store';
import { ProfilePage } from './profile-page';

let profile: Record<string, unknown>;
let patches: unknown[];
let passwords: unknown[];
let sessions: Record<string, unknown>[];

beforeEach(() => {
  profile = {
    username: 'sam',
    display_name: 'Sam Seller',
    role: 'member',
    email: 'sam@example.com',
    email_mode: 'immediate',
    out_of_office: null,
  };
  patches = [];
  passwords = [];
  const here = {
    started_at: '2026-01-05T09:00:00+00:00',
    last_seen_at: '2026-01-05T09:30:00+00:00',
    address: '127.0.0.1',
    current: true,
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  };
  sessions = [
    here,
    {
      ...here,
      current: false,
      address: '198.51.100.7',
      user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
    },
  ];
  useSessionStore.setState({ user: { username: 'sam', role: 'member' }, check: async () => {} });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      const body = init?.body ? (JSON.parse(init.body as string) as Record<string, unknown>) : undefined;
      if (url === '/api/profile' && method === 'PATCH') {
        patches.push(body);
        if (body?.email === 'not-an-address') {
          return Response.json(
            {
              error: {
                code: 'invalid',
                message: 'the request body does not fit: see details',
                details: { email: ['Not a valid email address.'] },
              },
            },
            { status: 422 },
          );
        }
        profile = { ...profile, ...body };
        return Response.json(profile);
      }
      if (url === '/api/profile') return Response.json(profile);
      if (url === '/api/profile/password') {
        passwords.push(body);
        if (body?.current_password !== 'old password') {
          return Response.json(
            { error: { code: 'wrong_password', message: 'the current password is wrong; nothing was changed' } },
            { status: 403 },
          );
        }
        if (body?.new_password === 'password password') {
          return Response.json(
            {
              error: {
                code: 'invalid',
                message: 'new_password: is too easy to guess; add a few unrelated words',
                details: { new_password: ['is too easy to guess; add a few unrelated words'] },
              },
            },
            { status: 422 },
          );
        }
        sessions = sessions.filter((x) => x.current);
        return Response.json({ changed: true });
      }
      if (url === '/api/profile/sessions' && method === 'DELETE') {
        const ended = sessions.filter((x) => !x.current).length;
        sessions = sessions.filter((x) => x.current);
        return Response.json({ username: 'sam', ended });
      }
      if (url === '/api/profile/sessions') return Response.json({ items: sessions });
      if (url === '/api/profile/people')
        return Response.json({ items: [{ username: 'sam', display_name: 'Sam Seller' }] });
      if (url.endsWith('/out-of-office')) return Response.json({ out_of_office: null });
      return Response.json({}, { status: 404 });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('ProfilePage', () => {
  it('shows and saves the details and the notification mode', async () => {
    render(<ProfilePage />);
    const name = await screen.findByLabelText('Display name');
    expect((name as HTMLInputElement).value).toBe('Sam Seller');
    expect(screen.getByLabelText<HTMLInputElement>('E-mail address').value).toBe('sam@example.com');
    expect(screen.getByRole<HTMLInputElement>('radio', { name: /E-mail immediately/ }).checked).toBe(true);

    fireEvent.change(name, { target: { value: 'Sam S.' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save details' }));
    expect(await screen.findByText('Your details are saved.')).toBeTruthy();
    expect(patches[0]).toEqual({ display_name: 'Sam S.', email: 'sam@example.com' });

    fireEvent.click(screen.getByRole('radio', { name: /Daily digest/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Save notifications' }));
    expect(await screen.findByText('Notifications saved: Daily digest.')).toBeTruthy();
    expect(patches[1]).toEqual({ email_mode: 'digest' });
    expect(screen.getByRole('heading', { name: 'Out of office' })).toBeTruthy();
  });

  it('says what is wrong with a refused e-mail address', async () => {
    render(<ProfilePage />);
    fireEvent.change(await screen.findByLabelText('E-mail address'), { target: { value: 'not-an-address' } });
    fireEvent.submit(screen.getByRole('button', { name: 'Save details' }).closest('form')!);
    expect((await screen.findByRole('alert')).textContent).toMatch(/does not fit/);
  });

  it('changes the password only with the right current one and a matching repetition', async () => {
    render(<ProfilePage />);
    const fill = (current: string, next: string, again: string) => {
      fireEvent.change(screen.getByLabelText('Current password'), { target: { value: current } });
      fireEvent.change(screen.getByLabelText('New password'), { target: { value: next } });
      fireEvent.change(screen.getByLabelText('New password again'), { target: { value: again } });
      fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    };
    await screen.findByLabelText('Current password');
    fill('old password', 'new password 1', 'new password 2');
    expect((await screen.findByRole('alert')).textContent).toBe('The new password and its repetition differ.');
    expect(passwords).toEqual([]);
    fill('wrong', 'new password 1', 'new password 1');
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/current password is wrong/));
    fill('old password', 'password password', 'password password');
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe(
        'The new password is too easy to guess; add a few unrelated words.',
      ),
    );
    const sessionList = () => screen.getByRole('region', { name: 'Where you are signed in' });
    await waitFor(() => expect(within(sessionList()).getAllByRole('listitem')).toHaveLength(2));
    fill('old password', 'new password 1', 'new password 1');
    expect(
      await screen.findByText(
        'Your password is changed. You stay signed in here; everywhere else you were signed out.',
      ),
    ).toBeTruthy();
    expect(screen.getByLabelText<HTMLInputElement>('Current password').value).toBe('');
    await waitFor(() => expect(within(sessionList()).getAllByRole('listitem')).toHaveLength(1)); // asked again
  });

  it('lists where one is signed in and signs out everywhere else', async () => {
    render(<ProfilePage />);
    const list = await screen.findByRole('region', { name: 'Where you are signed in' });
    const items = await within(list).findAllByRole('listitem');
    expect(items.map((i) => i.querySelector('strong')?.textContent)).toEqual(['Chrome on Linux', 'Firefox on Windows']);
    expect(within(items[0]!).getByText('This browser')).toBeTruthy();
    expect(items[1]!.textContent).toMatch(/From 198\.51\.100\.7/);
    fireEvent.click(within(list).getByRole('button', { name: 'Sign out everywhere else' }));
    expect((await within(list).findByRole('status')).textContent).toBe(
      'Signed out everywhere else: 1 other session ended.',
    );
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(1));
  });
});
