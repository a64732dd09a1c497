import { describe, expect, it } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { parseDocument } from '../lib/document-schema';
import type { FlowNode } from '../lib/document';
import { createFlowStore, type FlowStore } from './flow-store';

/** start → review (ask, check after ask) → route (big | default) → done; a second stage "sign". */
const DOCUMENT = parseDocument({
  format: 1,
  key: 'expense',
  label: 'Expense',
  nodes: [
    { id: 'start', type: 'start', ui: { x: 0, y: 0 } },
    { id: 'review', type: 'stage', label: 'Review', ui: { x: 100, y: 0, width: 320, height: 200 } },
    { id: 'ask', type: 'interactive', stage: 'review', label: 'Ask', ui: { x: 20, y: 56 } },
    {
      id: 'check',
      type: 'background',
      stage: 'review',
      label: 'Check',
      action: 'notify',
      start: { when: 'after', steps: ['ask'] },
      ui: { x: 20, y: 124 },
    },
    {
      id: 'route',
      type: 'decision',
      label: 'Route',
      outcomes: [{ id: 'big', label: 'Big', condition: 'true' }],
      ui: { x: 500, y: 0 },
    },
    { id: 'sign', type: 'stage', label: 'Sign', ui: { x: 100, y: 400, width: 320, height: 200 } },
    { id: 'done', type: 'end', ui: { x: 800, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'review' },
    { id: 'e2', source: 'review', target: 'route' },
    { id: 'e3', source: 'route', target: 'done', outcome: 'default' },
  ],
});

function store(): FlowStore {
  return createFlowStore(structuredClone(DOCUMENT));
}

function node(s: FlowStore, id: string): FlowNode {
  const found = s.getState().nodes.find((n) => n.id === id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
}

const past = (s: FlowStore) => s.temporal.getState().pastStates.length;

describe('adding from the palette', () => {
  it('adds a stage where it is dropped, selected, as one history entry', () => {
    const s = store();
    const result = s.getState().addNode('stage', { x: 900, y: 300 });
    expect(result).toEqual({ id: 'new_stage' });
    expect(node(s, 'new_stage')).toMatchObject({ type: 'stage', position: { x: 900, y: 300 }, selected: true });
    expect(
      s
        .getState()
        .nodes.filter((n) => n.selected)
        .map((n) => n.id),
    ).toEqual(['new_stage']);
    expect(past(s)).toBe(1);
    s.temporal.getState().undo();
    expect(s.getState().nodes.some((n) => n.id === 'new_stage')).toBe(false);
  });

  it('puts a step into the stage it lands on, positioned relative to it', () => {
    const s = store();
    expect(s.getState().addNode('wait', { x: 130, y: 450 })).toEqual({ id: 'new_wait' });
    expect(node(s, 'new_wait')).toMatchObject({
      type: 'wait',
      parentId: 'sign',
      extent: 'parent',
      position: { x: 20, y: 56 },
    }); // clear of the handles
    expect(
      s
        .getState()
        .toDocument()
        .nodes.find((n) => n.id === 'new_wait'),
    ).toMatchObject({ stage: 'sign' });
    const ids = s.getState().nodes.map((n) => n.id);
    expect(ids.indexOf('new_wait')).toBeGreaterThan(ids.indexOf('sign'));
  });

  it('refuses a step outside every stage, and a second start', () => {
    const s = store();
    expect(s.getState().addNode('interactive', { x: 2000, y: 2000 })).toHaveProperty('problem');
    expect(s.getState().addNode('start', { x: 0, y: 0 })).toEqual({ problem: 'There is already a start.' });
    expect(past(s)).toBe(0);
  });

  it('gives every new node a readable identifier from its label, unique', () => {
    const s = store();
    s.getState().addNode('decision', { x: 0, y: 900 });
    s.getState().addNode('decision', { x: 0, y: 1000 });
    s.getState().addNode('end', { x: 0, y: 1100 });
    expect(
      s
        .getState()
        .nodes.slice(-3)
        .map((n) => n.id),
    ).toEqual(['new_decision', 'new_decision_2', 'end']);
  });
});

describe('connecting', () => {
  const connect = (s: FlowStore, source: string, target: string, sourceHandle: string | null = null) =>
    s.getState().connect({ source, target, sourceHandle, targetHandle: null });

  it('gives steps no edges', () => {
    const s = store();
    expect(connect(s, 'ask', 'sign')).toMatch(/Steps have no edges/);
    expect(connect(s, 'route', 'ask', 'big')).toMatch(/Steps have no edges/);
  });

  it('gives start one outgoing edge and nothing leads into it', () => {
    const s = store();
    expect(connect(s, 'start', 'sign', 'next')).toMatch(/Start has one outgoing edge/);
    expect(connect(s, 'sign', 'start', 'next')).toMatch(/into start/);
  });

  it('gives an end no outgoing edge', () => {
    expect(connect(store(), 'done', 'sign')).toMatch(/no outgoing edge/);
  });

  it('gives each decision outcome at most one edge', () => {
    const s = store();
    expect(connect(s, 'route', 'sign', 'big')).toBeNull();
    expect(s.getState().edges.at(-1)).toMatchObject({ source: 'route', target: 'sign', sourceHandle: 'big' });
    expect(s.getState().toDocument().edges.at(-1)).toMatchObject({ source: 'route', target: 'sign', outcome: 'big' });
    expect(connect(s, 'route', 'done', 'big')).toMatch(/Outcome big already has an edge/);
    expect(connect(s, 'route', 'sign', 'default')).toMatch(/Outcome default already has an edge/);
    expect(connect(s, 'route', 'sign', 'nope')).toMatch(/one of its outcomes/);
  });

  it('gives a stage one normal outgoing edge plus at most one error edge', () => {
    const s = store();
    expect(connect(s, 'review', 'done', 'next')).toMatch(/one outgoing edge/);
    expect(connect(s, 'review', 'sign', 'error')).toBeNull();
    expect(s.getState().toDocument().edges.at(-1)).toMatchObject({ source: 'review', target: 'sign', kind: 'error' });
    expect(connect(s, 'review', 'done', 'error')).toMatch(/at most one error edge/);
    expect(connect(s, 'sign', 'done', 'next')).toBeNull();
    expect(connect(s, 'sign', 'sign', 'error')).toMatch(/itself/);
  });
});

describe('deleting', () => {
  it('removes a stage with its steps and edges in one undoable entry', () => {
    const s = store();
    s.getState().removeElements(['review'], []);
    expect(s.getState().nodes.map((n) => n.id)).toEqual(['start', 'route', 'sign', 'done']);
    expect(s.getState().edges.map((e) => e.id)).toEqual(['e3']);
    expect(past(s)).toBe(1);
    s.temporal.getState().undo();
    expect(s.getState().nodes).toHaveLength(7);
    expect(s.getState().edges).toHaveLength(3);
    s.temporal.getState().redo();
    expect(s.getState().nodes).toHaveLength(4);
  });

  it('removes edges alone', () => {
    const s = store();
    s.getState().removeElements([], ['e2']);
    expect(s.getState().edges.map((e) => e.id)).toEqual(['e1', 'e3']);
  });
});

describe('copy, paste, duplicate', () => {
  it('pastes a stage with its steps under new ids, parents and after-steps remapped', () => {
    const s = store();
    s.getState().copy(['review']);
    expect(past(s)).toBe(0);
    s.getState().paste({ x: 1000, y: 1000 });
    expect(past(s)).toBe(1);
    const stage = node(s, 'review_2');
    expect(stage.position).toEqual({ x: 1000, y: 1000 });
    expect(node(s, 'ask_2')).toMatchObject({ parentId: 'review_2', position: { x: 20, y: 56 }, selected: true });
    const check = node(s, 'check_2');
    expect(check.parentId).toBe('review_2');
    expect(check.data).toMatchObject({ start: { when: 'after', steps: ['ask_2'] } });
    expect(
      s
        .getState()
        .nodes.filter((n) => n.selected)
        .map((n) => n.id),
    ).toEqual(['review_2', 'ask_2', 'check_2']);
    // The originals are untouched.
    expect(node(s, 'check').data).toMatchObject({ start: { when: 'after', steps: ['ask'] } });
    const stages = s
      .getState()
      .toDocument()
      .nodes.filter((n) => n.id.endsWith('_2'))
      .map((n) => [n.id, 'stage' in n ? n.stage : null]);
    expect(stages).toEqual([
      ['review_2', null],
      ['ask_2', 'review_2'],
      ['check_2', 'review_2'],
    ]);
  });

  it('copies the edges between copied nodes only, and never start', () => {
    const s = store();
    s.getState().copy(['start', 'review', 'route']);
    s.getState().paste();
    expect(s.getState().nodes.filter((n) => n.type === 'start')).toHaveLength(1);
    const added = s.getState().edges.slice(3);
    expect(added).toEqual([expect.objectContaining({ id: 'e2_2', source: 'review_2', target: 'route_2' })]);
    expect(node(s, 'route_2').position).toEqual({ x: 532, y: 32 });
  });

  it('duplicates a step into its own stage, keeping references to its stage-mates', () => {
    const s = store();
    s.getState().duplicate(['check']);
    const copy = node(s, 'check_2');
    expect(copy).toMatchObject({ parentId: 'review', extent: 'parent' });
    expect(copy.data).toMatchObject({ start: { when: 'after', steps: ['ask'] } });
    expect(s.getState().clipboard).toBeNull();
    expect(past(s)).toBe(1);
  });

  it('drops a pasted step whose stage is gone', () => {
    const s = store();
    s.getState().copy(['ask']);
    s.getState().removeElements(['review'], []);
    s.getState().paste();
    expect(s.getState().nodes.some((n) => n.id.startsWith('ask'))).toBe(false);
  });
});

describe('re-parenting', () => {
  it('moves a step into another stage: parentId, relative position and document stage follow', () => {
    const s = store();
    s.getState().moveStepToStage('ask', 'sign', { x: 140, y: 460 });
    // x: the stage is as wide as a step and its padding each side (clear of its handles).
    expect(node(s, 'ask')).toMatchObject({ parentId: 'sign', extent: 'parent', position: { x: 20, y: 60 } });
    expect(
      s
        .getState()
        .toDocument()
        .nodes.find((n) => n.id === 'ask'),
    ).toMatchObject({ stage: 'sign' });
    const ids = s.getState().nodes.map((n) => n.id);
    expect(ids.indexOf('ask')).toBeGreaterThan(ids.indexOf('sign'));
  });

  it('re-parents a step dragged out of its stage onto another, as one history entry', () => {
    const s = store();
    const { beginGesture, releaseStep, applyNodeChanges, dropStep, endGesture } = s.getState();
    beginGesture();
    releaseStep('ask');
    expect(node(s, 'ask').extent).toBeUndefined();
    // React Flow reports positions relative to the old parent while dragging.
    for (const y of [100, 250, 420]) {
      applyNodeChanges([{ id: 'ask', type: 'position', position: { x: 20, y }, dragging: true }]);
    }
    dropStep('ask');
    endGesture();
    expect(node(s, 'ask')).toMatchObject({ parentId: 'sign', extent: 'parent', position: { x: 20, y: 56 } }); // below the title
    expect(past(s)).toBe(1);
    s.temporal.getState().undo();
    expect(node(s, 'ask')).toMatchObject({ parentId: 'review', extent: 'parent', position: { x: 20, y: 56 } });
  });

  it('puts a step dropped outside every stage back into its own', () => {
    const s = store();
    s.getState().beginGesture();
    s.getState().releaseStep('ask');
    s.getState().applyNodeChanges([{ id: 'ask', type: 'position', position: { x: 2000, y: 30 }, dragging: true }]);
    s.getState().dropStep('ask');
    s.getState().endGesture();
    expect(node(s, 'ask')).toMatchObject({ parentId: 'review', extent: 'parent', position: { x: 20, y: 56 } });
  });

  it('grows the stage a step lands in when it does not fit', () => {
    const s = store();
    s.getState().moveStepToStage('ask', 'sign', { x: 120, y: 580 });
    expect(node(s, 'sign').height).toBeGreaterThan(200);
  });

  it("keeps a step dropped over its stage's border clear of the stage's handles, the stage grown to hold it", () => {
    const s = store();
    // Over the right border (the next handle, at x 420) and the bottom one (the error handle, at y 600).
    s.getState().moveStepToStage('ask', 'sign', { x: 100 + 300, y: 400 + 180 });
    const step = node(s, 'ask');
    const sign = node(s, 'sign');
    expect(step.position.x).toBe(20); // the padding from the left handle, and as much from the right one
    expect(step.position.x + 280 + 20).toBeLessThanOrEqual(sign.width ?? 0);
    expect(step.position.y + 56 + 20).toBeLessThanOrEqual(sign.height ?? 0);
    expect(sign.height).toBe(180 + 56 + 20);

    // A stage narrower than a step and its padding widens to hold them.
    const narrow = store();
    narrow
      .getState()
      .applyNodeChanges([
        { id: 'sign', type: 'dimensions', dimensions: { width: 250, height: 200 }, setAttributes: true },
      ]);
    narrow.getState().moveStepToStage('ask', 'sign', { x: 300, y: 460 });
    expect(node(narrow, 'sign').width).toBe(280 + 2 * 20);
    expect(node(narrow, 'ask').position.x).toBe(20);
  });
});

describe('history', () => {
  it('does not record selection or measuring', () => {
    const s = store();
    s.getState().applyNodeChanges([{ id: 'review', type: 'select', selected: true }]);
    s.getState().applyNodeChanges([{ id: 'review', type: 'dimensions', dimensions: { width: 320, height: 200 } }]);
    s.getState().applyEdgeChanges([{ id: 'e1', type: 'select', selected: true }]);
    s.getState().select(['done']);
    expect(node(s, 'done').selected).toBe(true);
    expect(past(s)).toBe(0);
  });

  it('records a drag as one entry, and undo/redo move it back and forth', () => {
    const s = store();
    s.getState().beginGesture();
    for (const x of [110, 140, 180]) {
      s.getState().applyNodeChanges([{ id: 'review', type: 'position', position: { x, y: 0 }, dragging: true }]);
    }
    s.getState().applyNodeChanges([{ id: 'review', type: 'position', position: { x: 180, y: 0 }, dragging: false }]);
    s.getState().endGesture();
    expect(past(s)).toBe(1);
    s.temporal.getState().undo();
    expect(node(s, 'review').position).toEqual({ x: 100, y: 0 });
    s.temporal.getState().redo();
    expect(node(s, 'review').position).toEqual({ x: 180, y: 0 });
  });

  it('records nothing for a gesture that changed nothing', () => {
    const s = store();
    s.getState().beginGesture();
    s.getState().endGesture();
    expect(past(s)).toBe(0);
  });

  it('records a resize as one entry', () => {
    const s = store();
    s.getState().beginGesture();
    for (const width of [340, 360, 380]) {
      s.getState().applyNodeChanges([
        { id: 'review', type: 'dimensions', dimensions: { width, height: 200 }, resizing: true, setAttributes: true },
      ]);
    }
    s.getState().endGesture();
    expect(node(s, 'review').width).toBe(380);
    expect(past(s)).toBe(1);
  });

  it('forgets the history when a document is loaded', () => {
    const s = store();
    s.getState().removeElements(['done'], []);
    s.getState().load(parseDocument(structuredClone(contractApproval)));
    expect(past(s)).toBe(0);
    expect(s.getState().meta.key).toBe('contract_approval');
  });
});

describe('inspector edits and keyboard moves', () => {
  it('updates one node’s data as one undoable entry, only for the right type', () => {
    const s = store();
    s.getState().updateNodeData('ask', 'interactive', (d) => ({ ...d, due: 'P1D' }));
    expect(node(s, 'ask').data).toMatchObject({ due: 'P1D' });
    s.getState().updateNodeData('ask', 'stage', (d) => ({ ...d, label: 'nope' }));
    expect(node(s, 'ask').data.label).toBe('Ask');
    expect(past(s)).toBe(1);
    s.temporal.getState().undo();
    expect(node(s, 'ask').data).not.toHaveProperty('due');
  });

  it('moves the selected nodes, a step kept inside its stage and moved with it when both are selected', () => {
    const s = store();
    s.getState().select(['review', 'ask', 'done']);
    s.getState().moveSelected(16, 32);
    expect(node(s, 'review').position).toEqual({ x: 116, y: 32 });
    expect(node(s, 'ask').position).toEqual({ x: 20, y: 56 }); // relative to its stage, which moved
    expect(node(s, 'done').position).toEqual({ x: 816, y: 32 });
    s.getState().select(['ask']);
    s.getState().moveSelected(-64, -64);
    expect(node(s, 'ask').position).toEqual({ x: 0, y: 56 });
    s.getState().moveSelected(1000, 1000);
    expect(node(s, 'ask').position).toEqual({ x: 40, y: 144 }); // 320 - 280, 200 - 56
    expect(past(s)).toBe(3);
  });

  it('replaces the document as one undoable change (an import)', () => {
    const s = store();
    s.getState().replaceDocument(parseDocument(structuredClone(contractApproval)));
    expect(s.getState().meta.key).toBe('contract_approval');
    expect(past(s)).toBe(1);
    s.temporal.getState().undo();
    expect(s.getState().meta.key).toBe('expense');
  });
});
