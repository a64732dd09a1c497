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
      if (init?.method === 'POST' && url.startsWith('/api/orchestrations/import/bpmn')) {
        const query = new URL(url, 'http://x').searchParams;
        posted.push({ url, type: (init.headers as Record<string, string>)['Content-Type'], body: init.body });
        const draft = { key: query.get('key'), document: {}, revision: 1, issues: [], valid: false };
        const report = { round_trip: false, counts: { mapped: 1, unmapped: 0 }, mapped: [], unmapped: [], notes: [] };
        return Response.json({ key: query.get('key'), draft, report, issues: [], valid: false }, { status: 201 });
      }
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

  it('imports a BPMN file under the name of its main process, and keeps the report for the builder', async () => {
    renderHome();
    fireEvent.click(screen.getByRole('button', { name: 'New orchestration' }));
    const xml = `<?xml version="1.0"?>
      <definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
        <collaboration><participant id="P" name="Insurance company" processRef="Main" /></collaboration>
        <process id="Side" name="Claimant"><startEvent id="s1" /></process>
        <process id="Main" name="Claims handling"><startEvent id="s2" /><userTask id="t" /><endEvent id="e" /></process>
      </definitions>`;
    const file = new File([xml], 'claims.bpmn', { type: 'application/xml' });
    fireEvent.change(screen.getByLabelText('Import BPMN'), { target: { files: [file] } });
    await waitFor(() => expect(screen.getByLabelText<HTMLInputElement>('Label').value).toBe('Claims handling'));
    expect(screen.getByLabelText<HTMLInputElement>('Key').value).toBe('claims_handling');
    expect(screen.getByLabelText<HTMLInputElement>('BPMN file: claims.bpmn').checked).toBe(true);
    fireEvent.change(screen.getByLabelText('Key'), { target: { value: 'claims' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create orchestration' }));
    await screen.findByText('builder open');
    expect(posted).toEqual([
      {
        url: '/api/orchestrations/import/bpmn?key=claims&label=Claims+handling',
        type: 'application/xml',
        body: xml,
      },
    ]);
    expect(JSON.parse(sessionStorage.getItem('overture.bpmn-import.claims') ?? 'null')).toMatchObject({
      file: 'claims.bpmn',
      report: { counts: { mapped: 1, unmapped: 0 } },
    });
  });

  it('refuses a file that is not BPMN before sending it', async () => {
    renderHome();
    fireEvent.click(screen.getByRole('button', { name: 'New orchestration' }));
    const file = new File(['<svg xmlns="http://www.w3.org/2000/svg" />'], 'logo.svg');
    fireEvent.change(screen.getByLabelText('Import BPMN'), { target: { files: [file] } });
    expect((await screen.findByRole('alert')).textContent).toBe(
      "Cannot import logo.svg: logo.svg is not a BPMN 2.0 file: it holds <svg>, not BPMN's <definitions>.",
    );
    fireEvent.change(screen.getByLabelText('Import BPMN'), { target: { files: [new File(['<a>'], 'cut.bpmn')] } });
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe('Cannot import cut.bpmn: cut.bpmn is not XML.'),
    );
    expect(posted).toEqual([]);
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
