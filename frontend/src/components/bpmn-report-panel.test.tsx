// @vitest-environment happy-dom
import { ReactFlowProvider } from '@xyflow/react';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import type { BpmnEntry, BpmnReport } from '../lib/api-schemas';
import { forgetImportReport, importReportOf, keepImportReport } from '../lib/bpmn';
import { parseDocument } from '../lib/document-schema';
import { flowStore } from '../store/use-flow-store';
import { BpmnReportPanel } from './bpmn-report-panel';

const box = (x: number, y: number, width = 100, height = 80) => ({ x, y, width, height });

function entry(bpmn_id: string, bpmn_type: string, name: string | null, extra: Partial<BpmnEntry> = {}): BpmnEntry {
  return { bpmn_id, bpmn_type, name, where: 'process Contracts', node: null, detail: '', bounds: null, ...extra };
}

const REPORT: BpmnReport = {
  round_trip: false,
  counts: { mapped: 2, unmapped: 3 },
  mapped: [
    entry('Task_legal', 'userTask', 'Legal review', {
      node: 'legal_review',
      detail: 'interactive step',
      bounds: box(100, 100),
    }),
    entry('Flow_1', 'sequenceFlow', null, { node: 'e_start', detail: 'edge', bounds: box(60, 140, 40, 0) }),
  ],
  unmapped: [
    entry('Note_1', 'textAnnotation', 'Ask the CFO', {
      where: 'lane Legal, process Contracts',
      detail: 'a text annotation',
      bounds: box(300, 20, 120, 40),
    }),
    entry('Pool_2', 'participant', 'Customer', {
      where: 'the file',
      detail: 'a pool whose process was not imported',
      bounds: box(0, 300, 600, 120),
    }),
    entry('Flow_9', 'messageFlow', null, {
      where: 'the file',
      detail: 'a message flow',
      bounds: box(200, 180, 0, 120),
    }),
  ],
  notes: ['Stages were inferred from lanes.'],
};

afterEach(cleanup);

beforeEach(() => {
  flowStore.getState().load(parseDocument(structuredClone(contractApproval)));
});

function renderPanel(onDismiss = () => {}) {
  render(
    <ReactFlowProvider>
      <BpmnReportPanel kept={{ file: 'contracts.bpmn', report: REPORT }} onDismiss={onDismiss} />
    </ReactFlowProvider>,
  );
  return screen.getByRole('region', { name: 'Imported from contracts.bpmn' });
}

describe('BpmnReportPanel', () => {
  it('says how much mapped, the notes, and lists what did not with where it was and why', () => {
    const panel = renderPanel();
    expect(within(panel).getByTestId('bpmn-report-summary').textContent).toMatch(
      /^2 of 5 elements mapped; 3 not mapped, listed below\./,
    );
    expect(within(panel).getByText('Stages were inferred from lanes.')).toBeTruthy();
    const items = within(within(panel).getByRole('list', { name: 'Elements not mapped' })).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual([
      'Ask the CFO text annotationWhere: lane Legal, process Contractsa text annotation',
      'Customer participantWhere: the filea pool whose process was not imported',
      'Unnamed message flow Flow_9Where: the filea message flow',
    ]);
  });

  it('sketches the shapes of the file, numbering the unmapped ones as the list does, and leaves flows out', () => {
    const panel = renderPanel();
    const sketch = within(panel).getByRole('img', { name: /3 elements not mapped, numbered as in the list/ });
    const shapes = [...sketch.querySelectorAll('g[data-bpmn-id]')];
    // The biggest first (the pool), so that what lies on it is drawn over it; no flow is drawn.
    expect(shapes.map((g) => g.getAttribute('data-bpmn-id'))).toEqual(['Pool_2', 'Task_legal', 'Note_1']);
    expect(shapes.map((g) => g.querySelector('text')?.textContent ?? null)).toEqual(['2', null, '1']);
    expect(shapes[0]?.getAttribute('class')).toContain('bpmn-sketch__shape--container');
    expect(shapes[2]?.getAttribute('class')).toContain('bpmn-sketch__shape--unmapped');
    expect(sketch.getAttribute('viewBox')).toBe('-10 10 620 420');
  });

  it('marks an element on the sketch while the pointer or the focus is on it in the list', () => {
    const panel = renderPanel();
    const note = within(panel).getByText('Ask the CFO').closest('li') as HTMLElement;
    fireEvent.mouseEnter(note);
    expect(panel.querySelector('g[data-bpmn-id="Note_1"]')?.getAttribute('class')).toContain('--focused');
    fireEvent.mouseLeave(note);
    expect(panel.querySelector('.bpmn-sketch__shape--focused')).toBeNull();
    fireEvent.focus(note);
    expect(panel.querySelector('g[data-bpmn-id="Note_1"]')?.getAttribute('class')).toContain('--focused');
  });

  it('selects the node a mapped element became', () => {
    const panel = renderPanel();
    fireEvent.click(within(panel).getByRole('button', { name: 'Legal review' }));
    expect(
      flowStore
        .getState()
        .nodes.filter((n) => n.selected)
        .map((n) => n.id),
    ).toEqual(['legal_review']);
  });

  it('says when everything mapped, and when the file had no diagram', () => {
    const all = {
      ...REPORT,
      counts: { mapped: 1, unmapped: 0 },
      mapped: [entry('Task_1', 'userTask', 'Review')],
      unmapped: [],
    };
    render(
      <ReactFlowProvider>
        <BpmnReportPanel kept={{ file: 'plain.bpmn', report: all }} onDismiss={() => {}} />
      </ReactFlowProvider>,
    );
    expect(screen.getByTestId('bpmn-report-summary').textContent).toMatch(/^All 1 elements of the file were mapped\./);
    expect(screen.getByText('The file has no diagram: the canvas laid the process out.')).toBeTruthy();
    expect(screen.queryByRole('list', { name: 'Elements not mapped' })).toBeNull();
  });

  it('is dismissed with its button', () => {
    const dismiss = vi.fn();
    const panel = renderPanel(dismiss);
    fireEvent.click(within(panel).getByRole('button', { name: 'Dismiss report' }));
    expect(dismiss).toHaveBeenCalledOnce();
  });
});

describe('the kept report', () => {
  it('is kept per orchestration for the tab, checked when read back, and forgotten', () => {
    keepImportReport('contracts', { file: 'contracts.bpmn', report: REPORT });
    expect(importReportOf('contracts')).toEqual({ file: 'contracts.bpmn', report: REPORT });
    expect(importReportOf('other')).toBeNull();
    sessionStorage.setItem('overture.bpmn-import.broken', JSON.stringify({ file: 'x.bpmn', report: { counts: 3 } }));
    expect(importReportOf('broken')).toBeNull();
    forgetImportReport('contracts');
    expect(importReportOf('contracts')).toBeNull();
  });
});
