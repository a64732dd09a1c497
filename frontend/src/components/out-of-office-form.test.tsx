// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { OutOfOfficeForm } from './out-of-office-form';

const people = [
  { username: 'alice', display_name: 'Alice Lawyer' },
  { username: 'sam', display_name: 'Sam Seller' },
];
let stored: Record<string, unknown> | null;
let requests: { method: string; url: string; body: unknown }[];

beforeEach(() => {
  stored = null;
  requests = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      requests.push({ method, url, body: init?.body ? JSON.parse(init.body as string) : undefined });
      if (url === '/api/profile/people') return Response.json({ items: people });
      if (url === '/api/users/alice/out-of-office') {
        if (method === 'PUT') {
          const body = JSON.parse(init?.body as string) as Record<string, string>;
          if (body.delegate === 'alice') {
            return Response.json(
              { error: { code: 'invalid', message: 'delegate: choose someone else', details: {} } },
              { status: 422 },
            );
          }
          stored = {
            ...body,
            delegate_display_name: 'Sam Seller',
            active: true,
            set_by: 'alice',
            updated_at: body.starts_at,
          };
        }
        if (method === 'DELETE') stored = null;
        return Response.json({ out_of_office: stored });
      }
      return Response.json({}, { status: 404 });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('OutOfOfficeForm', () => {
  it('sets a delegate chosen by display name, with the period as ISO times', async () => {
    render(<OutOfOfficeForm username="alice" self />);
    expect(await screen.findByText(/Not set\. While you are away/)).toBeTruthy();
    const delegate = screen.getByLabelText('Delegate');
    await screen.findByRole('option', { name: 'Sam Seller' });
    expect(screen.queryByRole('option', { name: 'Alice Lawyer' })).toBeNull(); // not oneself
    fireEvent.change(delegate, { target: { value: 'sam' } });
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-12-07T09:00' } });
    fireEvent.change(screen.getByLabelText('Until'), { target: { value: '2026-12-14T17:00' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save out of office' }));
    expect(await screen.findByRole('status')).toHaveProperty('textContent', 'Out of office saved.');
    const put = requests.find((r) => r.method === 'PUT');
    expect(put?.body).toEqual({
      delegate: 'sam',
      starts_at: new Date('2026-12-07T09:00').toISOString(),
      ends_at: new Date('2026-12-14T17:00').toISOString(),
    });
    expect(screen.getByText(/goes to Sam Seller, marked “for you”/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Clear out of office' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/cleared/));
    expect(requests.some((r) => r.method === 'DELETE')).toBe(true);
    expect(screen.queryByRole('button', { name: 'Clear out of office' })).toBeNull();
  });

  it('shows the server refusal where it happened', async () => {
    render(<OutOfOfficeForm username="alice" />);
    await screen.findByText(/Not set\. While Alice Lawyer is away/);
    const select = screen.getByLabelText<HTMLSelectElement>('Delegate');
    // A hostile or stale choice the list does not offer: the server still says no.
    const option = document.createElement('option');
    option.value = 'alice';
    select.appendChild(option);
    fireEvent.change(select, { target: { value: 'alice' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save out of office' }));
    expect((await screen.findByRole('alert')).textContent).toBe('delegate: choose someone else');
  });
});
