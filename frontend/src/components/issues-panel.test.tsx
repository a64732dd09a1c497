// @vitest-environment happy-dom
import { ReactFlowProvider } from '@xyflow/react';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { parseDocument } from '../lib/document-schema';
import { useIssuesStore } from '../store/issues-store';
import { flowStore } from '../store/use-flow-store';
import { IssuesPanel } from './issues-panel';

afterEach(cleanup);

beforeEach(() => {
  flowStore.getState().load(parseDocument(structuredClone(contractApproval)));
  useIssuesStore.getState().setIssues([
    { node: 'legal_review', field: 'assignee', message: 'is required', severity: 'error' },
    { node: null, field: 'label', message: 'is long', severity: 'warning' },
    { node: 'deal_size', edge: 'e_big', field: 'target', message: 'goes nowhere', severity: 'error' },
  ]);
});

describe('IssuesPanel', () => {
  it('lists every issue with where it is', () => {
    render(
      <ReactFlowProvider>
        <IssuesPanel />
      </ReactFlowProvider>,
    );
    expect(screen.getByText('2 errors, 1 warnings')).toBeTruthy();
    expect(screen.getByRole('button', { name: /legal_review · assignee\s*is required/ })).toBeTruthy();
    expect(screen.getByRole('button', { name: /document · label/ })).toBeTruthy();
  });

  it('selects the node an issue is about, and only it, without a history entry', () => {
    flowStore.getState().select(['legal']);
    render(
      <ReactFlowProvider>
        <IssuesPanel />
      </ReactFlowProvider>,
    );
    fireEvent.click(screen.getByRole('button', { name: /legal_review · assignee/ }));
    expect(
      flowStore
        .getState()
        .nodes.filter((n) => n.selected)
        .map((n) => n.id),
    ).toEqual(['legal_review']);
    expect(flowStore.temporal.getState().pastStates).toHaveLength(0);
  });

  it('selects the edge an edge issue is about', () => {
    render(
      <ReactFlowProvider>
        <IssuesPanel />
      </ReactFlowProvider>,
    );
    fireEvent.click(screen.getByRole('button', { name: /edge e_big/ }));
    expect(
      flowStore
        .getState()
        .edges.filter((e) => e.selected)
        .map((e) => e.id),
    ).toEqual(['e_big']);
  });
});
