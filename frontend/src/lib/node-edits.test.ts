import { describe, expect, it } from 'vitest';

import type { FlowEdge, FlowNode } from './document';
import type { BackgroundData, InteractiveData, StageData, WaitData } from './document-schema';
import {
  addDecisionOutcome,
  nodeIdProblem,
  renameNode,
  moveDecisionOutcome,
  moveItem,
  newFormField,
  newFormOutcome,
  parseDefault,
  removeDecisionOutcome,
  renameAssignment,
  renameDecisionOutcome,
  renameFormOutcome,
  stageMates,
  toggleAfter,
  toggleTriggerOn,
  updateDecisionOutcome,
  withAction,
  withActionInput,
  withApprovalPolicy,
  withAssigneeType,
  withAssignments,
  withDue,
  withEntry,
  withEscalationAction,
  withExit,
  withFieldType,
  withRetry,
  withStart,
  withTriggerType,
  withValueType,
  withWaitKind,
  waitKindOf,
} from './node-edits';

const decision = (outcomes: Array<{ id: string; label?: string; condition?: string }>): FlowNode => ({
  id: 'route',
  type: 'decision',
  position: { x: 0, y: 0 },
  data: { label: 'Route', outcomes },
});

const graph = () => ({
  nodes: [
    decision([
      { id: 'big', label: 'Big', condition: 'inputs.n > 10' },
      { id: 'small', condition: 'inputs.n < 2' },
    ]),
  ],
  edges: [
    { id: 'e_big', source: 'route', target: 'x', sourceHandle: 'big', targetHandle: null, data: {} },
    { id: 'e_small', source: 'route', target: 'y', sourceHandle: 'small', targetHandle: null, data: {} },
    { id: 'e_default', source: 'route', target: 'z', sourceHandle: 'default', targetHandle: null, data: {} },
  ] as FlowEdge[],
});

const outcomeIds = (g: { nodes: FlowNode[] }) => {
  const node = g.nodes[0];
  return node?.type === 'decision' ? (node.data.outcomes ?? []).map((o) => o.id) : [];
};

describe('lists', () => {
  it('moves an item up or down, clamped to the list', () => {
    expect(moveItem(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveItem(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moveItem(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moveItem(['a', 'b', 'c'], 2, 5)).toEqual(['a', 'b', 'c']);
  });
});

describe('decision outcomes', () => {
  it('renames an outcome and the edge that leaves its handle', () => {
    const next = renameDecisionOutcome(graph(), 'route', 0, 'large');
    expect(outcomeIds(next)).toEqual(['large', 'small']);
    expect(next.edges.map((e) => [e.id, e.sourceHandle])).toEqual([
      ['e_big', 'large'],
      ['e_small', 'small'],
      ['e_default', 'default'],
    ]);
  });

  it('removes an outcome with its edge', () => {
    const next = removeDecisionOutcome(graph(), 'route', 1);
    expect(outcomeIds(next)).toEqual(['big']);
    expect(next.edges.map((e) => e.id)).toEqual(['e_big', 'e_default']);
  });

  it('adds an outcome with a fresh id (never default), reorders and updates them', () => {
    let g = addDecisionOutcome(graph(), 'route');
    expect(outcomeIds(g)).toEqual(['big', 'small', 'outcome_1']);
    g = addDecisionOutcome(g, 'route');
    expect(outcomeIds(g)).toEqual(['big', 'small', 'outcome_1', 'outcome_2']);
    g = moveDecisionOutcome(g, 'route', 1, -1);
    expect(outcomeIds(g)).toEqual(['small', 'big', 'outcome_1', 'outcome_2']);
    g = updateDecisionOutcome(g, 'route', 0, { label: 'Small', condition: 'inputs.n < 3' });
    expect(g.nodes[0]?.data).toMatchObject({
      outcomes: [{ id: 'small', label: 'Small', condition: 'inputs.n < 3' }, { id: 'big' }, {}, {}],
    });
    expect(g.edges).toEqual(graph().edges);
  });

  it('leaves other nodes and unknown indexes alone', () => {
    const g = graph();
    expect(renameDecisionOutcome(g, 'route', 9, 'x')).toBe(g);
    expect(removeDecisionOutcome(g, 'nope', 0)).toBe(g);
  });
});

describe('stages and step starts', () => {
  it('switches a stage entry and exit between their kinds, keeping a condition typed before', () => {
    const stage: StageData = { label: 'S', entry: null, exit: { when: 'all_steps' } };
    const waiting = withEntry(stage, 'condition');
    expect(waiting.entry).toEqual({ condition: '' });
    expect(withEntry({ ...waiting, entry: { condition: 'vars.ok' } }, 'none').entry).toBeNull();
    const exit = withExit(stage, 'condition');
    expect(exit.exit).toEqual({ when: 'condition', condition: '' });
    expect(withExit({ ...exit, exit: { when: 'condition', condition: 'x' } }, 'all_steps').exit).toEqual({
      when: 'all_steps',
    });
  });

  it('sets a step start and the steps it starts after', () => {
    const step: WaitData = { label: 'W', start: { when: 'stage_start' } };
    let next = withStart(step, 'after');
    expect(next.start).toEqual({ when: 'after', steps: [] });
    next = toggleAfter(next, 'ask', true);
    next = toggleAfter(next, 'check', true);
    next = toggleAfter(next, 'ask', true);
    expect(next.start).toEqual({ when: 'after', steps: ['ask', 'check'] });
    expect(toggleAfter(next, 'ask', false).start).toEqual({ when: 'after', steps: ['check'] });
    expect(withStart(next, 'condition').start).toEqual({ when: 'condition', condition: '' });
    expect(withStart(next, 'stage_start').start).toEqual({ when: 'stage_start' });
  });

  it("lists a step's stage-mates", () => {
    const at = { x: 0, y: 0 };
    const nodes: FlowNode[] = [
      { id: 'a', type: 'stage', position: at, data: {} },
      { id: 'b', type: 'stage', position: at, data: {} },
      { id: 'x', type: 'interactive', parentId: 'a', position: at, data: {} },
      { id: 'y', type: 'wait', parentId: 'a', position: at, data: {} },
      { id: 'z', type: 'background', parentId: 'b', position: at, data: {} },
    ];
    expect(stageMates(nodes, 'x').map((n) => n.id)).toEqual(['y']);
  });

  it('renames and drops `set` assignments', () => {
    expect(Object.keys(renameAssignment({ a: '1', b: '2', c: '3' }, 'b', 'z'))).toEqual(['a', 'z', 'c']);
    expect(renameAssignment({ a: '1', b: '2' }, 'a', 'b')).toEqual({ a: '1', b: '2' });
    expect(withAssignments({ label: 'x', set: { a: '1' } }, {})).toEqual({ label: 'x' });
  });
});

describe('interactive steps', () => {
  it('gives select fields options and takes them from other types', () => {
    const field = { name: 'f', type: 'text', label: 'F', required: false };
    const select = withFieldType(field, 'select');
    expect(select).toEqual({ ...field, type: 'select', options: [] });
    expect(withFieldType({ ...select, options: ['a'] }, 'multiselect').options).toEqual(['a']);
    expect(withFieldType({ ...select, options: ['a'] }, 'number')).not.toHaveProperty('options');
  });

  it('names new fields and outcomes uniquely', () => {
    expect(newFormField([{ name: 'field_1', type: 'text' }]).name).toBe('field_2');
    expect(newFormOutcome([{ value: 'outcome_1' }]).value).toBe('outcome_2');
  });

  it('renames the approve outcome along with the form outcome it names', () => {
    const data: InteractiveData = {
      form: { fields: [], outcomes: [{ value: 'ok', label: 'OK' }, { value: 'no' }] },
      approval: { policy: 'all', approve_outcome: 'ok' },
    };
    const next = renameFormOutcome(data, 0, 'approve');
    expect(next.form?.outcomes).toEqual([{ value: 'approve', label: 'OK' }, { value: 'no' }]);
    expect(next.approval?.approve_outcome).toBe('approve');
    expect(renameFormOutcome(data, 1, 'nope').approval?.approve_outcome).toBe('ok');
  });

  it('keeps quorum with (and only with) the quorum policy', () => {
    const quorum = withApprovalPolicy({}, 'quorum');
    expect(quorum.approval).toEqual({ policy: 'quorum', quorum: 1 });
    const all = withApprovalPolicy(
      { approval: { policy: 'quorum', quorum: 2, approvers: [{ type: 'user', value: 'a' }] } },
      'all',
    );
    expect(all.approval).toEqual({ policy: 'all', approvers: [{ type: 'user', value: 'a' }] });
    expect(withApprovalPolicy(all, 'none')).not.toHaveProperty('approval');
  });

  it('sets or clears the due date, and gives a reassignment someone to go to', () => {
    expect(withDue({ due: 'P1D' }, '')).toEqual({});
    expect(withDue({}, 'P2D')).toEqual({ due: 'P2D' });
    expect(withEscalationAction({ action: 'notify' }, 'reassign')).toEqual({
      action: 'reassign',
      to: { type: 'user', value: '' },
    });
    expect(withEscalationAction({ action: 'reassign', to: { type: 'group', value: 'x' } }, 'notify').to).toEqual({
      type: 'group',
      value: 'x',
    });
  });

  it('starts an assignee of another type afresh', () => {
    expect(withAssigneeType({ type: 'user', value: 'ada' }, 'group')).toEqual({ type: 'group', value: '' });
    expect(withAssigneeType(undefined, 'expression')).toEqual({ type: 'expression', value: 'record.owner' });
    expect(withAssigneeType({ type: 'user', value: 'ada' }, 'user')).toEqual({ type: 'user', value: 'ada' });
  });
});

describe('background steps', () => {
  const notify = [
    { name: 'to', type: 'any', required: true },
    { name: 'subject', type: 'string', required: true },
    { name: 'body', type: 'string', required: false },
  ];

  it('keeps the inputs the new action declares and adds its required ones', () => {
    const data: BackgroundData = { action: 'http.request', inputs: { url: "'https://x'", body: "'hi'" } };
    expect(withAction(data, 'notify', notify)).toEqual({
      action: 'notify',
      inputs: { body: "'hi'", to: '', subject: '' },
    });
    expect(withAction(data, 'mystery', undefined)).toEqual({ ...data, action: 'mystery' });
  });

  it('drops an emptied optional input, keeps an emptied required one', () => {
    const data: BackgroundData = { action: 'notify', inputs: { to: 'record.owner', body: "'x'" } };
    expect(withActionInput(data, 'body', '', false).inputs).toEqual({ to: 'record.owner' });
    expect(withActionInput(data, 'to', '', true).inputs).toEqual({ to: '', body: "'x'" });
  });

  it('writes only the retry settings that are set', () => {
    expect(withRetry({}, { max_attempts: 5, backoff: undefined, multiplier: undefined })).toEqual({
      retry: { max_attempts: 5 },
    });
    expect(withRetry({ retry: { max_attempts: 5 } }, { max_attempts: undefined })).toEqual({});
  });
});

describe('wait steps', () => {
  it('keeps exactly one of until, event and timer', () => {
    const data: WaitData = { label: 'W', timer: { duration: 'P1D' } };
    expect(waitKindOf(data)).toBe('timer_duration');
    const until = withWaitKind(data, 'until');
    expect(until).toEqual({ label: 'W', until: '' });
    const event = withWaitKind(until, 'event');
    expect(event).toEqual({ label: 'W', event: { name: '', correlation: 'record.id' } });
    expect(waitKindOf(event)).toBe('event');
    const at = withWaitKind(event, 'timer_at');
    expect(at).toEqual({ label: 'W', timer: { at: '' } });
    expect(waitKindOf(at)).toBe('timer_at');
    expect(withWaitKind(data, 'timer_duration')).toEqual(data);
  });
});

describe('document settings', () => {
  it('switches the trigger between manual and record, and sets its events', () => {
    const record = withTriggerType({ key: 'k' }, 'record');
    expect(record.trigger).toEqual({ type: 'record', object: '', on: ['create'] });
    const both = toggleTriggerOn(record, 'update', true);
    expect(both.trigger).toMatchObject({ on: ['create', 'update'] });
    expect(toggleTriggerOn(both, 'create', false).trigger).toMatchObject({ on: ['update'] });
    expect(withTriggerType(both, 'manual').trigger).toEqual({ type: 'manual' });
  });

  it('reads a default typed as text as a value of its type', () => {
    expect(parseDefault('number', '2.5')).toBe(2.5);
    expect(parseDefault('integer', 'x')).toBe('x');
    expect(parseDefault('boolean', 'false')).toBe(false);
    expect(parseDefault('list', '[1, 2]')).toEqual([1, 2]);
    expect(parseDefault('map', '{"a": 1}')).toEqual({ a: 1 });
    expect(parseDefault('string', '')).toBeUndefined();
    expect(parseDefault('date', '2026-01-02')).toBe('2026-01-02');
  });

  it('keeps a default that fits the new type, else drops it', () => {
    expect(withValueType({ name: 'n', type: 'string', default: '3' }, 'integer')).toEqual({
      name: 'n',
      type: 'integer',
      default: 3,
    });
    expect(withValueType({ name: 'n', type: 'string', default: 'abc' }, 'number')).toEqual({
      name: 'n',
      type: 'number',
    });
    expect(withValueType({ name: 'l', type: 'list', max_items: 20 }, 'map')).toEqual({
      name: 'l',
      type: 'map',
      max_items: 20,
    });
    expect(withValueType({ name: 'l', type: 'list', max_items: 20 }, 'string')).toEqual({ name: 'l', type: 'string' });
    expect(withValueType({ name: 'n', type: 'number', default: 3 }, 'string')).toEqual({
      name: 'n',
      type: 'string',
      default: '3',
    });
  });
});

describe('renaming a node', () => {
  const graph = () => ({
    nodes: [
      {
        id: 'new_stage',
        type: 'stage',
        position: { x: 0, y: 0 },
        data: { label: 'Pricing', entry: null, exit: { when: 'all_steps' } },
      },
      {
        id: 'new_task',
        type: 'interactive',
        parentId: 'new_stage',
        position: { x: 0, y: 0 },
        data: { label: 'Check pricing' },
      },
      {
        id: 'route',
        type: 'decision',
        position: { x: 0, y: 0 },
        data: {
          label: 'OK?',
          outcomes: [
            {
              id: 'no',
              label: 'No',
              condition:
                "steps.new_task.outcome == 'no' && stages.new_stage.visits > 1 && steps.new_task_2.outcome == 'x'",
            },
          ],
        },
      },
    ] as unknown as FlowNode[],
    edges: [{ id: 'e1', source: 'new_stage', target: 'route', data: {} }] as unknown as FlowEdge[],
  });

  it('carries its edges, its steps and the expressions that name it along', () => {
    const stage = renameNode(graph(), 'new_stage', 'pricing');
    expect(stage.nodes.map((n) => n.id)).toEqual(['pricing', 'new_task', 'route']);
    expect(stage.nodes[1]?.parentId).toBe('pricing');
    expect(stage.edges[0]).toMatchObject({ source: 'pricing', target: 'route' });
    const step = renameNode(graph(), 'new_task', 'check_pricing');
    const condition = (step.nodes[2]?.data as { outcomes: { condition: string }[] }).outcomes[0]?.condition;
    // Only whole names: new_task_2 is another step.
    expect(condition).toBe(
      "steps.check_pricing.outcome == 'no' && stages.new_stage.visits > 1 && steps.new_task_2.outcome == 'x'",
    );
  });

  it('refuses an id that is not an identifier or is taken', () => {
    expect(nodeIdProblem(graph().nodes, 'new_task', 'route')).toBe('Another node is route.');
    expect(nodeIdProblem(graph().nodes, 'new_task', '2 words')).toMatch(/letters, digits and _/);
    expect(nodeIdProblem(graph().nodes, 'new_task', 'new_task')).toBeNull();
    expect(renameNode(graph(), 'new_task', 'route')).toEqual(graph());
  });
});
