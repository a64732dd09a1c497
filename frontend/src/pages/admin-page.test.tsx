// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useSessionStore } from '../store/session-store';
import { AdminPage } from './admin-page';

const people = [
  { username: 'ada', role: 'admin', display_name: 'Ada Admin', active: true, groups: [] },
  {
    username: 'fiona',
    role: 'member',
    display_name: 'Fiona Finance',
    active: true,
    groups: [{ name: 'finance', kind: 'group' }],
  },
  {
    username: 'frank',
    role: 'member',
    display_name: 'Frank Finance',
    active: true,
    groups: [{ name: 'finance', kind: 'group' }],
  },
  { username: 'old', role: 'member', display_name: 'Old Timer', active: false, groups: [] },
];
const teams = [
  { name: 'finance', kind: 'group', label: 'Finance', members: ['fiona', 'frank'] },
  { name: 'warehouse', kind: 'queue', label: 'Warehouse', members: [] },
];
const tokens = [
  {
    id: 't1',
    name: 'crm-sync',
    created_by: 'ada',
    created_at: '2026-11-25T09:00:00Z',
    revoked_at: null,
    last_used_at: null,
  },
];
const secrets = [
  {
    name: 'crm_token',
    created_at: '2026-11-25T09:00:00Z',
    created_by: 'ada',
    created_by_name: 'Ada Admin',
    updated_at: '2026-11-26T09:00:00Z',
    updated_by: 'ada',
    updated_by_name: 'Ada Admin',
  },
];
const recordTypes = [
  {
    name: 'contract',
    label: 'Contract',
    fields: [
      { name: 'title', type: 'string', label: 'Title', required: true },
      { name: 'amount', type: 'number' },
    ],
    triggers: [
      {
        orchestration: 'contract_approval',
        label: 'Contract approval',
        version: 2,
        on: ['create', 'update'],
        condition: "record.status == 'submitted'",
      },
    ],
  },
];

type Answer = { status: number; body: unknown };
let sent: { method: string; url: string; body: unknown }[];
let answers: Record<string, Answer>;

beforeEach(() => {
  sent = [];
  answers = {};
  useSessionStore.setState({ user: { username: 'ada', role: 'admin' } });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      const path = url.split('?')[0] ?? url;
      if (method !== 'GET')
        sent.push({ method, url: path, body: init?.body ? JSON.parse(init.body as string) : undefined });
      const answer = answers[`${method} ${path}`];
      if (answer) return Response.json(answer.body, { status: answer.status });
      const page = (items: unknown[]) => Response.json({ items, next_cursor: null });
      if (path === '/api/users') return page(people);
      if (path === '/api/groups') return page(teams);
      if (path === '/api/tokens') return page(tokens);
      if (path === '/api/record-types') return page(recordTypes);
      if (path === '/api/secrets') return page(secrets);
      return Response.json({ error: { code: 'not_found', message: `no ${path}` } }, { status: 404 });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderAdmin(path: string) {
  render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/admin" element={<AdminPage />} />
        <Route path="/admin/:section" element={<AdminPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

const row = (text: string) => screen.getByText(text).closest('tr') as HTMLElement;
const findRow = async (text: string) => (await screen.findByText(text)).closest('tr') as HTMLElement;

describe('AdminPage', () => {
  it('tells someone who is not an admin that administration is for admins', () => {
    useSessionStore.setState({ user: { username: 'sam', role: 'member' } });
    renderAdmin('/admin/people');
    expect(screen.getByRole('alert').textContent).toContain('Administration is for admins');
    expect(screen.queryByRole('table')).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('opens People at /admin, with each section a link that says which is current', async () => {
    renderAdmin('/admin');
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('People');
    const nav = screen.getByRole('navigation', { name: 'Administration sections' });
    expect(within(nav).getByRole('link', { name: 'People' }).getAttribute('aria-current')).toBe('page');
    expect(within(nav).getByRole('link', { name: 'API tokens' }).getAttribute('href')).toBe('/admin/tokens');
    await screen.findByText('Fiona Finance');
    expect(within(row('Fiona Finance')).getByText('Finance')).toBeTruthy();
    expect(within(row('Old Timer')).getByText('Inactive')).toBeTruthy();
    expect(within(row('Old Timer')).getByRole('button', { name: 'Reactivate Old Timer' })).toBeTruthy();
  });

  it('shows an unknown section as such', () => {
    renderAdmin('/admin/nope');
    expect(screen.getByRole('alert').textContent).toContain('no section “nope”');
  });

  it('puts the server’s errors next to the fields of a new person', async () => {
    answers['POST /api/users'] = {
      status: 422,
      body: {
        error: {
          code: 'invalid',
          message: 'no such group',
          details: {
            username: ['user name must be 1-64 lower-case letters'],
            groups: ['no such group or queue: ghost'],
          },
        },
      },
    };
    renderAdmin('/admin/people');
    await screen.findByText('Fiona Finance');
    fireEvent.click(screen.getByRole('button', { name: 'New person' }));
    const dialog = screen.getByRole('dialog', { name: 'New person' });
    fireEvent.change(within(dialog).getByLabelText(/^User name/), { target: { value: 'Bad Name' } });
    fireEvent.change(within(dialog).getByLabelText('Initial password'), { target: { value: 'long enough' } });
    fireEvent.click(within(dialog).getByLabelText('Finance (group)'));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create person' }));
    await within(dialog).findByText('user name must be 1-64 lower-case letters');
    const username = within(dialog).getByLabelText(/^User name/);
    expect(username.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(username.getAttribute('aria-describedby')!.split(' ').pop()!)?.textContent).toBe(
      'user name must be 1-64 lower-case letters',
    );
    expect(within(dialog).getByText('no such group or queue: ghost')).toBeTruthy();
    expect(sent[0]).toEqual({
      method: 'POST',
      url: '/api/users',
      body: {
        username: 'Bad Name',
        display_name: null,
        role: 'member',
        groups: ['finance'],
        password: 'long enough',
      },
    });
  });

  it('edits a person’s role and groups', async () => {
    answers['PATCH /api/users/fiona'] = {
      status: 200,
      body: { ...people[1], role: 'ops', groups: [], open_items: { assigned: 0, claimed: 0 } },
    };
    renderAdmin('/admin/people');
    await screen.findByText('Fiona Finance');
    fireEvent.click(screen.getByRole('button', { name: 'Edit Fiona Finance' }));
    const dialog = screen.getByRole('dialog', { name: 'Edit Fiona Finance' });
    expect(within(dialog).queryByLabelText(/^User name/)).toBeNull();
    fireEvent.change(within(dialog).getByLabelText('Role'), { target: { value: 'ops' } });
    fireEvent.click(within(dialog).getByLabelText('Finance (group)'));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save changes' }));
    await screen.findByText('Saved Fiona Finance.');
    expect(sent[0]).toEqual({
      method: 'PATCH',
      url: '/api/users/fiona',
      body: { display_name: 'Fiona Finance', role: 'ops', groups: [] },
    });
  });

  it('deactivates someone: says how much they hold, asks where their items go, then says what moved', async () => {
    answers['GET /api/users/fiona'] = { status: 200, body: { ...people[1], open_items: { assigned: 2, claimed: 1 } } };
    answers['POST /api/users/fiona/deactivate'] = {
      status: 200,
      body: {
        ...people[1],
        active: false,
        open_items: { assigned: 0, claimed: 0 },
        released: 1,
        reassigned: 2,
      },
    };
    renderAdmin('/admin/people');
    await screen.findByText('Fiona Finance');
    fireEvent.click(screen.getByRole('button', { name: 'Deactivate Fiona Finance' }));
    const dialog = screen.getByRole('dialog', { name: 'Deactivate Fiona Finance' });
    expect((await within(dialog).findByTestId('open-items')).textContent).toBe(
      'Fiona Finance has 3 open items: 2 items assigned to them personally, 1 item claimed from a group or queue (these go back to it).',
    );
    const submit = within(dialog).getByRole<HTMLButtonElement>('button', { name: 'Deactivate Fiona Finance' });
    expect(submit.disabled).toBe(true); // where the personal items go must be said first
    const where = within(dialog).getByLabelText<HTMLSelectElement>('Send their personal items to');
    const choices = Array.from(where.options).map((o) => o.textContent);
    expect(choices).toContain('Frank Finance (frank)');
    expect(choices).not.toContain('Fiona Finance (fiona)'); // not the person leaving
    expect(choices).not.toContain('Old Timer (old)'); // nor someone inactive
    expect(choices).toContain('Warehouse (queue)');
    fireEvent.change(where, { target: { value: 'user:frank' } });
    fireEvent.click(submit);
    const done = await screen.findByRole('dialog', { name: 'Fiona Finance is deactivated' });
    expect(within(done).getByRole('status').textContent).toBe(
      '1 item went back to its group or queue; 2 items went to Frank Finance.',
    );
    expect(sent[0]).toEqual({
      method: 'POST',
      url: '/api/users/fiona/deactivate',
      body: { reassign_to: { type: 'user', value: 'frank' } },
    });
  });

  it('shows the server’s refusal of a deactivation in the dialog', async () => {
    answers['GET /api/users/ada'] = { status: 200, body: { ...people[0], open_items: { assigned: 0, claimed: 0 } } };
    answers['POST /api/users/ada/deactivate'] = {
      status: 409,
      body: { error: { code: 'conflict', message: 'you cannot deactivate yourself; ask another admin' } },
    };
    renderAdmin('/admin/people');
    await screen.findByText('Ada Admin');
    fireEvent.click(screen.getByRole('button', { name: 'Deactivate Ada Admin' }));
    const dialog = screen.getByRole('dialog', { name: 'Deactivate Ada Admin' });
    await within(dialog).findByText('Ada Admin has 0 open items.');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Deactivate Ada Admin' }));
    expect((await within(dialog).findByRole('alert')).textContent).toBe(
      'you cannot deactivate yourself; ask another admin',
    );
    expect(sent[0]?.body).toEqual({ reassign_to: null });
  });

  it('resets a password, with a too-short one refused next to the field', async () => {
    answers['POST /api/users/frank/password'] = {
      status: 422,
      body: {
        error: {
          code: 'invalid',
          message: 'the request body does not fit: see details',
          details: { password: ['Shorter than minimum length 8.'] },
        },
      },
    };
    renderAdmin('/admin/people');
    await screen.findByText('Frank Finance');
    fireEvent.click(screen.getByRole('button', { name: 'Reset password of Frank Finance' }));
    const dialog = screen.getByRole('dialog', { name: 'New password for Frank Finance' });
    fireEvent.change(within(dialog).getByLabelText('New password'), { target: { value: 'short' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Set password' }));
    await within(dialog).findByText('Shorter than minimum length 8.');
    answers['POST /api/users/frank/password'] = { status: 200, body: people[2] };
    fireEvent.click(within(dialog).getByRole('button', { name: 'Set password' }));
    await screen.findByText('Frank Finance has a new password and is signed out everywhere.');
  });

  it('signs an active person out everywhere and says how many sessions ended', async () => {
    answers['DELETE /api/users/frank/sessions'] = { status: 200, body: { username: 'frank', ended: 2 } };
    renderAdmin('/admin/people');
    await screen.findByText('Frank Finance');
    expect(within(row('Old Timer')).queryByRole('button', { name: /out everywhere/ })).toBeNull(); // inactive: no session to end
    fireEvent.click(screen.getByRole('button', { name: 'Sign out everywhere: Frank Finance' }));
    expect((await screen.findByRole('status')).textContent).toBe(
      'Frank Finance is signed out everywhere (2 sessions ended).',
    );
    expect(sent).toEqual([{ method: 'DELETE', url: '/api/users/frank/sessions', body: undefined }]);
  });

  it('lists groups and queues with their members’ display names and edits the members', async () => {
    answers['GET /api/groups/warehouse'] = {
      status: 200,
      body: { name: 'warehouse', kind: 'queue', label: 'Warehouse', members: [] },
    };
    answers['PATCH /api/groups/warehouse'] = {
      status: 200,
      body: {
        name: 'warehouse',
        kind: 'queue',
        label: 'Warehouse',
        members: [{ username: 'frank', display_name: 'Frank Finance', active: true }],
      },
    };
    renderAdmin('/admin/groups');
    await screen.findByText('Fiona Finance, Frank Finance');
    expect(within(row('Warehouse')).getByText('Queue')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Edit members of Warehouse' }));
    const dialog = screen.getByRole('dialog', { name: 'Edit Warehouse' });
    fireEvent.click(await within(dialog).findByLabelText('Frank Finance (frank)'));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save members' }));
    await screen.findByText('Saved Warehouse: 1 member.');
    expect(sent[0]).toEqual({
      method: 'PATCH',
      url: '/api/groups/warehouse',
      body: { label: 'Warehouse', members: ['frank'] },
    });
  });

  it('creates a group, with a taken name refused next to the field', async () => {
    answers['POST /api/groups'] = {
      status: 409,
      body: {
        error: { code: 'conflict', message: 'group finance already exists', details: { name: ['this name is taken'] } },
      },
    };
    renderAdmin('/admin/groups');
    await screen.findByText('Fiona Finance, Frank Finance');
    fireEvent.click(screen.getByRole('button', { name: 'New group or queue' }));
    const dialog = screen.getByRole('dialog', { name: 'New group or queue' });
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'finance' } });
    fireEvent.change(within(dialog).getByLabelText('Kind'), { target: { value: 'queue' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
    await within(dialog).findByText('this name is taken');
    expect(within(dialog).getByLabelText('Name').getAttribute('aria-invalid')).toBe('true');
    answers['POST /api/groups'] = {
      status: 201,
      body: { name: 'auditors', kind: 'queue', label: 'Auditors', members: [] },
    };
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'auditors' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
    await screen.findByText('Auditors is ready; add members with "Edit members".');
    expect(sent.map((r) => r.body)).toEqual([
      { name: 'finance', kind: 'queue', label: null },
      { name: 'auditors', kind: 'queue', label: null },
    ]);
  });

  it('shows a new token’s secret once, copies it, and revokes a token after asking', async () => {
    const writeText = vi.fn(async () => undefined);
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    answers['POST /api/tokens'] = {
      status: 201,
      body: { ...tokens[0], id: 't2', name: 'erp', token: 'ovt_t2_secret' },
    };
    answers['DELETE /api/tokens/t1'] = { status: 200, body: { ...tokens[0], revoked_at: '2026-11-26T09:00:00Z' } };
    renderAdmin('/admin/tokens');
    await screen.findByText('crm-sync');
    fireEvent.change(screen.getByLabelText('Token name'), { target: { value: 'erp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect((await screen.findByTestId('token-secret')).textContent).toBe('ovt_t2_secret');
    expect(screen.getByText('Copy it now: it will not be shown again.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Copy token' }));
    await screen.findByText('Copied to the clipboard.');
    expect(writeText).toHaveBeenCalledWith('ovt_t2_secret');
    fireEvent.click(screen.getByRole('button', { name: 'I have stored it' }));
    expect(screen.queryByTestId('token-secret')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Revoke crm-sync' }));
    const confirm = screen.getByRole('dialog', { name: 'Revoke crm-sync?' });
    fireEvent.click(within(confirm).getByRole('button', { name: 'Revoke token' }));
    await waitFor(() => expect(sent.at(-1)).toEqual({ method: 'DELETE', url: '/api/tokens/t1', body: undefined }));
  });

  it('adds a secret without ever showing a value, replaces one and deletes one after asking', async () => {
    answers['POST /api/secrets'] = { status: 201, body: { ...secrets[0], name: 'erp_key' } };
    answers['PUT /api/secrets/crm_token'] = { status: 200, body: secrets[0] };
    answers['DELETE /api/secrets/crm_token'] = { status: 204, body: null };
    renderAdmin('/admin/secrets');
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Secrets');
    expect(within(await findRow('crm_token')).getByText('secrets.crm_token')).toBeTruthy();
    expect(within(row('crm_token')).getByText(/^Ada Admin, /)).toBeTruthy();
    const value = screen.getByLabelText<HTMLInputElement>('Value');
    expect(value.type).toBe('password');
    fireEvent.change(screen.getByLabelText('Secret name'), { target: { value: 'erp_key' } });
    fireEvent.change(value, { target: { value: 'sk_live_typed' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add secret' }));
    expect((await screen.findByRole('status')).textContent).toContain('secrets.erp_key');
    expect(sent.at(-1)).toEqual({
      method: 'POST',
      url: '/api/secrets',
      body: { name: 'erp_key', value: 'sk_live_typed' },
    });
    expect(screen.getByLabelText<HTMLInputElement>('Value').value).toBe('');
    expect(document.body.textContent).not.toContain('sk_live_typed');

    fireEvent.click(screen.getByRole('button', { name: 'Replace the value of crm_token' }));
    const dialog = screen.getByRole('dialog', { name: 'Replace the value of crm_token' });
    fireEvent.change(within(dialog).getByLabelText('New value'), { target: { value: 'sk_live_new' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Replace value' }));
    await waitFor(() =>
      expect(sent.at(-1)).toEqual({ method: 'PUT', url: '/api/secrets/crm_token', body: { value: 'sk_live_new' } }),
    );
    expect((await screen.findByRole('status')).textContent).toContain('The value of crm_token is replaced');

    fireEvent.click(screen.getByRole('button', { name: 'Delete crm_token' }));
    const confirm = screen.getByRole('dialog', { name: 'Delete crm_token?' });
    expect(confirm.textContent).toContain('secrets.crm_token fail from now on');
    fireEvent.click(within(confirm).getByRole('button', { name: 'Delete secret' }));
    await waitFor(() =>
      expect(sent.at(-1)).toEqual({ method: 'DELETE', url: '/api/secrets/crm_token', body: undefined }),
    );
    expect((await screen.findByRole('status')).textContent).toBe('Secret crm_token deleted.');
  });

  it('puts the server’s refusal of a secret’s name next to the field', async () => {
    answers['POST /api/secrets'] = {
      status: 422,
      body: {
        error: { code: 'invalid', message: 'the body does not fit', details: { name: ['must be an identifier'] } },
      },
    };
    renderAdmin('/admin/secrets');
    await findRow('crm_token');
    fireEvent.change(screen.getByLabelText('Secret name'), { target: { value: 'crm token' } });
    fireEvent.change(screen.getByLabelText('Value'), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add secret' }));
    expect(await screen.findByText('must be an identifier')).toBeTruthy();
  });

  it('lists record types with their fields and the orchestrations they start, linked to the builder', async () => {
    renderAdmin('/admin/record-types');
    const link = await screen.findByRole('link', { name: 'Contract approval' });
    expect(link.getAttribute('href')).toBe('/builder/contract_approval');
    expect(screen.getByText("(version 2) on create or update, when record.status == 'submitted'")).toBeTruthy();
    expect(within(row('Title')).getByText('Required')).toBeTruthy();
    expect(within(row('Title')).getByText('string')).toBeTruthy();
    expect(within(row('Amount')).getByText('number')).toBeTruthy(); // no label: named from the field
  });
});
