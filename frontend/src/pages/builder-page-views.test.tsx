// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { setCsrfToken } from '../lib/api';
import { flowStore } from '../store/use-flow-store';
import { useViewStore } from '../store/view-store';
import { BuilderPage } from './builder-page';

const DRAFT = {
  format: 1,
  key: 'expense',
  label: 'Expense',
  nodes: [
    { id: 'start', type: 'start', ui: { x: 0, y: 0 } },
    {
      id: 'review',
      type: 'stage',
      label: 'Review',
      entry: null,
      exit: { when: 'all_steps' },
      ui: { x: 100, y: 0, width: 320, height: 200 },
    },
    {
      id: 'ask',
      type: 'interactive',
      stage: 'review',
      label: 'Ask the manager',
      assignee: { type: 'user', value: 'ada' },
      form: { fields: [], outcomes: [{ value: 'ok', label: 'OK' }] },
      ui: { x: 20, y: 56 },
    },
    { id: 'done', type: 'end', label: 'Done', ui: { x: 600, y: 0 } },
    { id: 'paid', type: 'end', label: 'Paid', ui: { x: 600, y: 200 } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'review' },
    { id: 'e2', source: 'review', target: 'done' },
  ],
};

const VERSION_1 = {
  ...DRAFT,
  nodes: [
    ...DRAFT.nodes.filter((n) => n.id !== 'paid' && n.id !== 'ask'),
    { ...DRAFT.nodes[2], label: 'Ask' },
    { id: 'old_end', type: 'end', label: 'Old end', ui: { x: 600, y: 400 } },
  ],
};

let puts: Array<{ body: unknown; headers: unknown }> = [];

beforeEach(() => {
  puts = [];
  setCsrfToken('csrf-1');
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'PUT') {
        const body = JSON.parse(init.body as string) as unknown;
        puts.push({ body, headers: init.headers });
        return Response.json({ key: 'expense', document: body, revision: 3 + puts.length, issues: [], valid: true });
      }
      if (url === '/api/orchestrations/expense/versions/1') {
        return Response.json({
          key: 'expense',
          number: 1,
          document: VERSION_1,
          active: true,
          created_at: '2026-11-01T00:00:00+00:00',
        });
      }
      if (url === '/api/orchestrations/expense') {
        return Response.json({
          key: 'expense',
          label: 'Expense',
          active_version: 1,
          versions: [{ number: 1, created_at: '2026-11-01T00:00:00+00:00', created_by: 'ada' }],
          draft: { key: 'expense', document: structuredClone(DRAFT), revision: 3, issues: [], valid: true },
        });
      }
      return Response.json({ items: [], next_cursor: null });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/builder/:key" element={<BuilderPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

const label = (id: string) => flowStore.getState().nodes.find((n) => n.id === id)?.data.label;

describe('BuilderPage: autosave, versions, keyboard', () => {
  it('saves the draft by itself a moment after the last change, and warns before leaving unsaved changes', async () => {
    renderAt('/builder/expense');
    expect(await screen.findByRole('heading', { name: 'Expense' })).toBeTruthy();
    expect(screen.getByTestId('save-state').textContent).toBe('Saved (revision 3)');
    const unload = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(unload);
    expect(unload.defaultPrevented).toBe(false);

    act(() => flowStore.getState().updateNodeData('ask', 'interactive', (d) => ({ ...d, label: 'Ask the boss' })));
    expect(screen.getByTestId('save-state').textContent).toBe('Unsaved changes');
    const leaving = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(leaving);
    expect(leaving.defaultPrevented).toBe(true);

    await waitFor(() => expect(puts).toHaveLength(1), { timeout: 4000 });
    expect(puts[0]?.headers).toMatchObject({ 'If-Match': '"3"' });
    expect((puts[0]?.body as typeof DRAFT).nodes.find((n) => n.id === 'ask')?.label).toBe('Ask the boss');
    await waitFor(() => expect(screen.getByTestId('save-state').textContent).toBe('Saved (revision 4)'));
  });

  it('opens an earlier version read only, then goes back to the draft as it was', async () => {
    renderAt('/builder/expense?version=1');
    expect(await screen.findByText(/read only: the canvas is locked/)).toBeTruthy();
    await waitFor(() => expect(label('ask')).toBe('Ask'));
    expect(screen.queryByRole('button', { name: 'Stage' })).toBeNull(); // no palette
    expect(screen.queryByRole('button', { name: 'Save draft' })).toBeNull();
    expect(screen.getByRole('status').textContent).toContain('Version 1 · read only');
    expect(screen.getByRole('button', { name: 'Open version 1' }).hasAttribute('disabled')).toBe(true);

    fireEvent.click(screen.getAllByRole('button', { name: 'Back to the draft' })[0] as HTMLElement);
    await waitFor(() => expect(label('ask')).toBe('Ask the manager'));
    expect(useViewStore.getState().view).toEqual({ mode: 'draft' });
    expect(screen.getByRole('button', { name: 'Save draft' })).toBeTruthy();
    expect(puts).toHaveLength(0); // nothing changed: nothing saved
  });

  it('compares a version with the draft: the canvas marks what changed, with a legend', async () => {
    const { container } = renderAt('/builder/expense');
    await screen.findByRole('heading', { name: 'Expense' });
    fireEvent.change(screen.getByLabelText('Compare'), { target: { value: '1' } });
    fireEvent.change(screen.getByLabelText('with'), { target: { value: 'draft' } });
    fireEvent.click(screen.getByRole('button', { name: 'Show changes' }));
    expect(await screen.findByText('Added (1)')).toBeTruthy();
    expect(screen.getByText('Removed (1)')).toBeTruthy();
    expect(screen.getByText('Changed (1)')).toBeTruthy();
    await waitFor(() => expect(container.querySelector('[data-testid="diff-paid"]')?.textContent).toBe('added'));
    expect(container.querySelector('[data-testid="diff-old_end"]')?.textContent).toBe('removed');
    expect(container.querySelector('[data-testid="diff-ask"]')?.getAttribute('title')).toBe('Changed: label');
    expect(container.querySelector('.react-flow__node[data-id="done"] .diff')).toBeNull();
  });

  it('shows the keyboard shortcuts on ?, and moves selected nodes with the arrow keys', async () => {
    renderAt('/builder/expense');
    await screen.findByRole('heading', { name: 'Expense' });
    fireEvent.keyDown(window, { key: '?' });
    expect(screen.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeTruthy();
    fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();

    act(() => flowStore.getState().select(['done']));
    fireEvent.keyDown(window, { key: 'ArrowRight' });
    fireEvent.keyDown(window, { key: 'ArrowDown', shiftKey: true });
    expect(flowStore.getState().nodes.find((n) => n.id === 'done')?.position).toEqual({ x: 616, y: 64 });
    act(() => flowStore.getState().select(['ask']));
    fireEvent.keyDown(window, { key: 'ArrowUp', shiftKey: true });
    // A step stays in its stage, below the stage's title.
    expect(flowStore.getState().nodes.find((n) => n.id === 'ask')?.position).toEqual({ x: 20, y: 56 });
  });
});
