// @vitest-environment happy-dom
import { act, cleanup, render, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import contractApproval from '../../../../runtime/templates/contract_approval.json';
import { parseDocument } from '../../lib/document-schema';
import { flowStore } from '../../store/use-flow-store';
import { ExpressionNameLists, NAMES_LIST_ID, useExpressionNames } from './expression-names';

afterEach(cleanup);

describe('expression names', () => {
  it('change when a step or stage comes or goes, not when a node moves', () => {
    flowStore.getState().load(parseDocument(structuredClone(contractApproval)));
    const { result } = renderHook(() => useExpressionNames());
    const before = result.current;
    expect(before).toContain('steps.legal_review.outcome');
    expect(before).toContain('stages.legal.visits');

    act(() => flowStore.getState().applyNodeChanges([{ type: 'position', id: 'legal', position: { x: 400, y: 300 } }]));
    expect(result.current).toBe(before);

    act(() => void flowStore.getState().addNode('stage', { x: 2000, y: 2000 }));
    expect(result.current).toContain('stages.new_stage.visits');
  });

  it('are offered in a datalist once the page is idle', async () => {
    flowStore.getState().load(parseDocument(structuredClone(contractApproval)));
    const { container } = render(<ExpressionNameLists />);
    await waitFor(() =>
      expect(container.querySelector(`#${NAMES_LIST_ID} option[value="steps.legal_review.status"]`)).not.toBeNull(),
    );
  });
});
