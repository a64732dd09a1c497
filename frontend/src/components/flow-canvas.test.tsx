// @vitest-environment happy-dom
import { ReactFlowProvider } from '@xyflow/react';
import { cleanup, render, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { parseDocument } from '../lib/document-schema';
import { useNamesStore } from '../store/names-store';
import { flowStore } from '../store/use-flow-store';
import { FlowCanvas } from './flow-canvas';

beforeEach(() => {
  useNamesStore.setState({ status: 'idle' });
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response('{}', { status: 404 })),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** The canvas at a fixed size, inside the provider React Flow's hooks need. */
function renderCanvas() {
  return render(
    <ReactFlowProvider>
      <div style={{ width: 1200, height: 800 }}>
        <FlowCanvas />
      </div>
    </ReactFlowProvider>,
  );
}

function page(items: unknown[]): Response {
  return new Response(JSON.stringify({ items, next_cursor: null }), {
    headers: { 'Content-Type': 'application/json' },
  });
}

describe('FlowCanvas', () => {
  it('draws every node with the component of its document type, and decision handles per outcome, then the minimap', async () => {
    flowStore.getState().load(parseDocument(structuredClone(contractApproval)));
    const { container } = renderCanvas();
    const nodeIds = [...container.querySelectorAll('.react-flow__node')].map((n) => n.getAttribute('data-id'));
    expect(nodeIds.sort()).toEqual(contractApproval.nodes.map((n) => n.id).sort());
    expect(container.querySelector('.react-flow__node-stage[data-id="legal"] .node--stage')).not.toBeNull();
    expect(
      container.querySelector('.react-flow__node-interactive[data-id="legal_review"] .node--step')?.textContent,
    ).toContain('Review contract terms');
    const handles = [
      ...container.querySelectorAll('.react-flow__node[data-id="deal_size"] .react-flow__handle.source'),
    ].map((h) => h.getAttribute('data-handleid'));
    expect(handles).toEqual(['big', 'default']);
    // The minimap comes once the nodes are measured (at the latest a second after: nothing measures here).
    expect(container.querySelector('.react-flow__minimap')).toBeNull();
    await waitFor(() => expect(container.querySelector('.react-flow__minimap')).not.toBeNull(), { timeout: 3000 });
  });

  it('names who works on a step and the steps it starts after, not their ids', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        if (url.startsWith('/api/profile/people'))
          return new Response(JSON.stringify({ items: [{ username: 'sam', display_name: 'Sam Sales' }] }), {
            headers: { 'Content-Type': 'application/json' },
          });
        if (url.startsWith('/api/groups'))
          return page([
            { name: 'legal', kind: 'group', label: 'Legal' },
            { name: 'executives', kind: 'group', label: 'Executive team' },
          ]);
        return new Response('{}', { status: 404 });
      }),
    );
    flowStore.getState().load(parseDocument(structuredClone(contractApproval)));
    const { container } = renderCanvas();
    const detail = (id: string) =>
      container.querySelector(`.react-flow__node[data-id="${id}"] .node__detail`)?.textContent;
    await waitFor(() => expect(detail('legal_review')).toBe('group Legal'));
    expect(detail('sign')).toBe('group Executive team');
    expect(detail('mark_signed')).toBe('Runs record.update · after Sign contract');
  });
});
