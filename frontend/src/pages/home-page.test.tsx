// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import serviceRequest from '../../../runtime/templates/service_request.json';
import { useSessionStore } from '../store/session-store';
import { HomePage } from './home-page';

let posted: unknown[] = [];

beforeEach(() => {
  posted = [];
  useSessionStore.setState({ user: { username: 'ada', role: 'admin' } });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'POST' && url === '/api/orchestrations') {
        const body = JSON.parse(init.body as string) as { key: string };
        posted.push(body);
        if (body.key === 'taken')
          return Response.json({ error: { code: 'conflict', message: 'exists' } }, { status: 409 });
        return Response.json({ key: body.key, document: body, revision: 1, issues: [], valid: false }, { status: 201 });
      }
      if (url.startsWith('/api/templates/service_request'))
        return Response.json({
          name: 'service_request',
          key: 'service_request',
          label: 'Service request',
          document: serviceRequest,
        });
      if (url.startsWith('/api/templates')) {
        return Response.json({
          items: [
            {
              name: 'service_request',
              key: 'service_request',
              label: 'Service request',
              description: 'Intake, then work.',
            },
          ],
          next_cursor: null,
        });
      }
      if (url.startsWith('/api/orchestrations')) {
        return Response.json({
          items: [{ key: 'contract', label: 'Contract approval', active_version: 1, has_draft: false }],
          next_cursor: null,
        });
      }
      return Response.json({ items: [], next_cursor: null });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderHome() {
  render(
    <MemoryRouter initialEntries={['/']}>
      <Routes>
        <Route path="/" element={<HomePage />} />
        <Route path="/builder/:key" element={<p>builder open</p>} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('New orchestration', () => {
  it('starts from a blank canvas under a key made from the label', async () => {
    renderHome();
    fireEvent.click(screen.getByRole('button', { name: 'New orchestration' }));
    fireEvent.change(screen.getByLabelText('Label'), { target: { value: 'Travel request' } });
    expect(screen.getByLabelText<HTMLInputElement>('Key').value).toBe('travel_request');
    fireEvent.click(screen.getByRole('button', { name: 'Create orchestration' }));
    await screen.findByText('builder open');
    expect(posted[0]).toMatchObject({
      format: 1,
      key: 'travel_request',
      label: 'Travel request',
      trigger: { type: 'manual' },
    });
    expect((posted[0] as { nodes: Array<{ type: string }> }).nodes.map((n) => n.type)).toEqual(['start', 'end']);
  });

  it('starts from a template, under its own key unless the admin changes it', async () => {
    renderHome();
    fireEvent.click(screen.getByRole('button', { name: 'New orchestration' }));
    fireEvent.click(await screen.findByLabelText(/Template: Service request/));
    expect(screen.getByLabelText<HTMLInputElement>('Label').value).toBe('Service request');
    fireEvent.change(screen.getByLabelText('Key'), { target: { value: 'returns' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create orchestration' }));
    await screen.findByText('builder open');
    expect(posted[0]).toMatchObject({ key: 'returns', label: 'Service request', nodes: serviceRequest.nodes });
  });

  it('imports a document from a file, and says when its key is taken', async () => {
    renderHome();
    fireEvent.click(screen.getByRole('button', { name: 'New orchestration' }));
    const file = new File([JSON.stringify({ ...serviceRequest, key: 'taken', label: 'Imported' })], 'taken.json', {
      type: 'application/json',
    });
    fireEvent.change(screen.getByLabelText('Import from file'), { target: { files: [file] } });
    await waitFor(() => expect(screen.getByLabelText<HTMLInputElement>('Key').value).toBe('taken'));
    expect(screen.getByText('File: taken.json')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Create orchestration' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/already an orchestration with the key taken/);
    expect(posted[0]).toMatchObject({ key: 'taken', label: 'Imported', edges: serviceRequest.edges });
  });

  it('refuses a file that is not a document', async () => {
    renderHome();
    fireEvent.click(screen.getByRole('button', { name: 'New orchestration' }));
    const file = new File(['not json'], 'notes.txt');
    fireEvent.change(screen.getByLabelText('Import from file'), { target: { files: [file] } });
    expect((await screen.findByRole('alert')).textContent).toBe('Cannot import notes.txt: notes.txt is not JSON.');
  });
});

describe('what each role is offered', () => {
  it('offers an admin New orchestration, the builder and the Monitor', async () => {
    renderHome();
    expect(await screen.findByRole('link', { name: 'Contract approval' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'New orchestration' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Monitor Contract approval' })).toBeTruthy();
  });

  it('lets ops open the builder (to read) and the Monitor, but not create', async () => {
    useSessionStore.setState({ user: { username: 'otto', role: 'ops' } });
    renderHome();
    expect(await screen.findByRole('link', { name: 'Contract approval' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'New orchestration' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Monitor Contract approval' })).toBeTruthy();
  });

  it('shows a member the orchestrations by name, with no design link, New orchestration or Monitor', async () => {
    useSessionStore.setState({ user: { username: 'sam', role: 'member' } });
    renderHome();
    expect(await screen.findByText('Contract approval')).toBeTruthy();
    expect(screen.queryAllByRole('link')).toHaveLength(0);
    expect(screen.queryByRole('button', { name: 'New orchestration' })).toBeNull();
  });
});
