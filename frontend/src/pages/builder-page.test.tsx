// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { setCsrfToken } from '../lib/api';
import { SHORTCUTS } from '../hooks/use-keyboard-shortcuts';
import { storedCollapsed, usePanelsStore } from '../store/panels-store';
import { flowStore } from '../store/use-flow-store';
import { BuilderPage } from './builder-page';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const ISSUE = { node: 'legal_review', field: 'assignee', message: 'no such group', severity: 'warning' };

function draft(revision: number, document: unknown, issues: unknown[]) {
  return {
    key: 'contract_approval',
    document,
    revision,
    updated_at: '2026-11-26T07:00:00+00:00',
    updated_by: 'ada',
    issues,
    valid: true,
  };
}

/** The builder page on the contract approval, as the router shows it. */
function renderBuilder() {
  render(
    <MemoryRouter initialEntries={['/builder/contract_approval']}>
      <Routes>
        <Route path="/builder/:key" element={<BuilderPage />} />
      </Routes>
    </MemoryRouter>,
  );
}
describe('BuilderPage', () => {
  it('loads the draft, lays it out, lists its issues and saves it with its revision', async () => {
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'POST' && url.endsWith('/activate')) {
        return Response.json(
          {
            error: {
              code: 'invalid_document',
              message: 'the document has errors',
              details: [{ ...ISSUE, severity: 'error' }],
            },
          },
          { status: 422 },
        );
      }
      if (init?.method === 'PUT') {
        return Response.json(draft(4, JSON.parse(init.body as string), []), { headers: { ETag: '"4"' } });
      }
      if (!url.startsWith('/api/orchestrations')) return Response.json({ items: [], next_cursor: null });
      // The toolbar reads the active version's trigger to offer "Start run".
      if (url === '/api/orchestrations/contract_approval/versions/1') {
        return Response.json({
          key: 'contract_approval',
          number: 1,
          document: structuredClone(contractApproval),
          active: true,
        });
      }
      expect(url).toBe('/api/orchestrations/contract_approval');
      return Response.json({
        key: 'contract_approval',
        label: 'Contract approval',
        active_version: 1,
        versions: [],
        draft: draft(3, structuredClone(contractApproval), [ISSUE]),
      });
    });
    vi.stubGlobal('fetch', fetch);
    setCsrfToken('csrf-1');
    renderBuilder();

    expect(await screen.findByRole('heading', { name: 'Contract approval' }, { timeout: 10_000 })).toBeTruthy();
    expect(screen.getByRole('button', { name: /legal_review · assignee\s*no such group/ })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Stage' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Start' })).toBeNull(); // there is one already
    expect(screen.getByRole('button', { name: 'Test run' })).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Start run' })).toBeNull(); // a contract's save starts it
    // The template has no positions: the canvas laid it out, which is a change to save.
    // Layout runs in the background (elkjs), so a loaded machine may finish it after the heading shows.
    await waitFor(
      () => {
        expect(flowStore.getState().nodes.find((n) => n.id === 'legal')?.position).not.toEqual({ x: 0, y: 0 });
        expect(screen.getByRole('status').textContent).toContain('Unsaved changes');
      },
      { timeout: 10_000 },
    );
    expect(flowStore.temporal.getState().pastStates).toHaveLength(0);

    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('Saved (revision 4)'));
    const [url, init] = fetch.mock.calls.filter(([, i]) => i?.method === 'PUT').at(-1) ?? [];
    expect(url).toBe('/api/orchestrations/contract_approval/draft');
    expect(init?.headers).toMatchObject({
      'If-Match': '"3"',
      'Content-Type': 'application/json',
      'X-CSRF-Token': 'csrf-1',
    });
    const saved = JSON.parse(init?.body as string) as { nodes: { id: string; ui?: { width?: unknown } }[] };
    expect(typeof saved.nodes.find((n) => n.id === 'legal')?.ui?.width).toBe('number');
    expect(saved.nodes.find((n) => n.id === 'legal_review')).toMatchObject({ stage: 'legal', due: 'P2D' });
    expect(screen.getByText('The server found nothing to fix.')).toBeTruthy();

    // Activation is refused: the issues that block it are listed.
    fireEvent.click(screen.getByRole('button', { name: 'Activate' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('the document has errors'));
    expect(fetch.mock.calls.at(-1)?.[1]?.headers).toMatchObject({ 'If-Match': '"4"', 'X-CSRF-Token': 'csrf-1' });
    expect(screen.getByText('1 errors, 0 warnings')).toBeTruthy();
  });

  it('confirms an activation where it is seen and announced', async () => {
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'POST' && url.endsWith('/activate'))
        return Response.json({ key: 'contract_approval', version: 2, active_version: 2 });
      if (init?.method === 'PUT')
        return Response.json(draft(4, JSON.parse(init.body as string), []), { headers: { ETag: '"4"' } });
      if (url === '/api/orchestrations/contract_approval') {
        return Response.json({
          key: 'contract_approval',
          label: 'Contract approval',
          active_version: 1,
          versions: [],
          draft: draft(3, structuredClone(contractApproval), []),
        });
      }
      if (url.startsWith('/api/orchestrations/contract_approval/versions/')) {
        return Response.json({
          key: 'contract_approval',
          number: 1,
          document: structuredClone(contractApproval),
          active: true,
        });
      }
      return Response.json({ items: [], next_cursor: null });
    });
    vi.stubGlobal('fetch', fetch);
    renderBuilder();
    expect(await screen.findByRole('heading', { name: 'Contract approval' }, { timeout: 10_000 })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Activate' }));
    const status = screen.getByRole('status');
    await waitFor(() => expect(status.textContent).toContain('Version 2 is active: new runs start on it'), {
      timeout: 10_000,
    });
    expect(status.getAttribute('aria-live')).toBe('polite');
    expect(screen.getByText(/Version 2 is active/).className).toBe('status--done');
  });

  it('collapses both side panels by button or key, remembers it, and opens the properties of a double-clicked node', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url === '/api/orchestrations/contract_approval'
          ? Response.json({
              key: 'contract_approval',
              label: 'Contract approval',
              active_version: null,
              versions: [],
              draft: draft(3, structuredClone(contractApproval), []),
            })
          : Response.json({ items: [], next_cursor: null }),
      ),
    );
    renderBuilder();
    expect(await screen.findByRole('heading', { name: 'Contract approval' }, { timeout: 10_000 })).toBeTruthy();
    const left = screen.getByRole('button', { name: 'Palette and versions' });
    const right = screen.getByRole('button', { name: 'Properties, tests and test run' });
    expect([left.getAttribute('aria-expanded'), right.getAttribute('aria-expanded')]).toEqual(['true', 'true']);

    fireEvent.click(left);
    expect(left.getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByRole('button', { name: 'Stage' })).toBeNull(); // the palette is gone, its rail stays
    expect(left.textContent).toContain('Palette');
    fireEvent.keyDown(window, { key: ']' });
    expect(right.getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByRole('tab', { name: 'Properties' })).toBeNull();
    expect(document.querySelector('.builder')!.className).toContain('builder--left-collapsed builder--right-collapsed');
    expect(storedCollapsed()).toEqual({ left: true, right: true }); // what the next visit opens with

    // A node's properties are a double-click away, collapsed or not.
    fireEvent.doubleClick(document.querySelector('.react-flow__node')!);
    expect(right.getAttribute('aria-expanded')).toBe('true');
    expect(screen.getByRole('tab', { name: 'Properties' }).getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(window, { key: '[' });
    expect(left.getAttribute('aria-expanded')).toBe('true');
    expect(storedCollapsed()).toEqual({ left: false, right: false });
    expect(SHORTCUTS.map((s) => s.keys)).toEqual(expect.arrayContaining(['[', ']']));
  });

  it('reads a remembered choice, and both panels open when it cannot be read', () => {
    localStorage.setItem('overture.builder.collapsed', '{"left":true}');
    expect(storedCollapsed()).toEqual({ left: true, right: false });
    localStorage.setItem('overture.builder.collapsed', 'not json');
    expect(storedCollapsed()).toEqual({ left: false, right: false });
    localStorage.removeItem('overture.builder.collapsed');
    usePanelsStore.getState().expand('left'); // nothing to expand: nothing written
    expect(localStorage.getItem('overture.builder.collapsed')).toBeNull();
  });

  it('checks again when edits take the canvas back to the saved draft: issues of the undone edit do not stay', async () => {
    const original = structuredClone(contractApproval);
    const validations: string[] = [];
    let saves = 0;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        if (url.endsWith('/validate')) {
          const document = JSON.parse(init?.body as string) as { label: string };
          validations.push(document.label);
          const issues =
            document.label === ''
              ? [{ node: null, field: 'label', message: 'must not be empty', severity: 'error' }]
              : [];
          return Response.json({ key: 'contract_approval', issues, valid: issues.length === 0 });
        }
        if (init?.method === 'PUT') {
          saves += 1;
          return Response.json(draft(4, JSON.parse(init.body as string), []), { headers: { ETag: '"4"' } });
        }
        if (url === '/api/orchestrations/contract_approval') {
          return Response.json({
            key: 'contract_approval',
            label: 'Contract approval',
            active_version: null,
            versions: [],
            draft: draft(3, original, []),
          });
        }
        return Response.json({ items: [], next_cursor: null });
      }),
    );
    renderBuilder();
    expect(await screen.findByRole('heading', { name: 'Contract approval' }, { timeout: 10_000 })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' })); // the laid-out draft
    await waitFor(() => expect(saves).toBe(1));
    const meta = flowStore.getState().meta;
    flowStore.getState().updateMeta({ ...meta, label: '' });
    fireEvent.click(screen.getByRole('button', { name: 'Check for issues' }));
    await waitFor(() =>
      expect(screen.getByRole('button', { name: /document · label\s*must not be empty/ })).toBeTruthy(),
    );
    flowStore.getState().updateMeta(meta); // back to the saved draft: no save, but a check
    await waitFor(() => expect(screen.queryByRole('button', { name: /must not be empty/ })).toBeNull(), {
      timeout: 5000,
    });
    expect(validations).toEqual(['', meta.label]);
    expect(saves).toBe(1);
  }, 20_000);

  it('says why a draft cannot be opened', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url.startsWith('/api/orchestrations')
          ? Response.json({
              key: 'broken',
              label: 'Broken',
              active_version: null,
              versions: [],
              draft: draft(1, { key: 'broken', nodes: [{ id: 'x', type: 'teleport' }], edges: [] }, []),
            })
          : Response.json({ items: [], next_cursor: null }),
      ),
    );
    render(
      <MemoryRouter initialEntries={['/builder/broken']}>
        <Routes>
          <Route path="/builder/:key" element={<BuilderPage />} />
        </Routes>
      </MemoryRouter>,
    );
    expect((await screen.findByRole('heading')).textContent).toBe('broken cannot be opened');
    expect(screen.getByText(/nodes\.0\.type/)).toBeTruthy();
  });
});
