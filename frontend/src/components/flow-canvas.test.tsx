// @vitest-environment happy-dom
import { ReactFlowProvider } from '@xyflow/react';
import { cleanup, render, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { parseDocument } from '../lib/document-schema';
import { flowStore } from '../store/use-flow-store';
import { FlowCanvas } from './flow-canvas';

afterEach(cleanup);

describe('FlowCanvas', () => {
  it('draws every node with the component of its document type, and decision handles per outcome, then the minimap', async () => {
    flowStore.getState().load(parseDocument(structuredClone(contractApproval)));
    const { container } = render(
      <ReactFlowProvider>
        <div style={{ width: 1200, height: 800 }}>
          <FlowCanvas />
        </div>
      </ReactFlowProvider>,
    );
    const nodeIds = [...container.querySelectorAll('.react-flow__node')].map((n) => n.getAttribute('data-id'));
    expect(nodeIds.sort()).toEqual(contractApproval.nodes.map((n) => n.id).sort());
    expect(container.querySelector('.react-flow__node-stage[data-id="legal"] .node--stage')).not.toBeNull();
    expect(container.querySelector('.react-flow__node-interactive[data-id="legal_review"] .node--step')?.textContent).toContain('Review contract terms');
    const handles = [...container.querySelectorAll('.react-flow__node[data-id="deal_size"] .react-flow__handle.source')].map((h) => h.getAttribute('data-handleid'));
    expect(handles).toEqual(['big', 'default']);
    // The minimap comes once the nodes are measured (at the latest a second after: nothing measures here).
    expect(container.querySelector('.react-flow__minimap')).toBeNull();
    await waitFor(() => expect(container.querySelector('.react-flow__minimap')).not.toBeNull(), { timeout: 3000 });
  });
});
