import { describe, expect, it } from 'vitest';

import { documentToFlow } from './document';
import { addEvents, buildTimeline, outcomeLabels, runPath, type RunEvent } from './run-events';

let seq = 0;
function ev(type: string, node: string | null, fields: Partial<RunEvent> = {}): RunEvent {
  seq += 1;
  return {
    seq,
    run_id: 'r1',
    type,
    at: `2026-11-25T${String(7 + Math.floor(seq / 10)).padStart(2, '0')}:${String((seq % 10) * 5).padStart(2, '0')}:00+00:00`,
    node,
    visit: null,
    by: null,
    data: {},
    ...fields,
  };
}

/** start → review (approve) → decide: rework → review again → decide: ok → filing (error on file). */
function history(): RunEvent[] {
  seq = 0;
  return [
    ev('run.started', null, { by: 'sam' }),
    ev('edge.taken', 'review', { data: { edge: 'e1', from: null } }),
    ev('stage.started', 'review', { visit: 1 }),
    ev('step.started', 'approve', { visit: 1 }),
    ev('work_item.created', 'approve', { visit: 1, data: { assignee: { type: 'group', value: 'finance' } } }),
    ev('step.completed', 'approve', { visit: 1, by: 'fiona', data: { duration: 600, outcome: 'approve' } }),
    ev('stage.completed', 'review', { visit: 1, data: { duration: 700 } }),
    ev('edge.taken', 'decide', { data: { edge: 'e2' } }),
    ev('decision.taken', 'decide', { data: { outcome: 'rework', edge: 'e_back', target: 'review' } }),
    ev('edge.taken', 'review', { data: { edge: 'e_back' } }),
    ev('stage.waiting', 'review', { visit: 2 }),
    ev('stage.started', 'review', { visit: 2 }),
    ev('step.started', 'approve', { visit: 2 }),
    ev('step.completed', 'approve', { visit: 2, by: 'frank', data: { duration: 60 } }),
    ev('stage.completed', 'review', { visit: 2, data: { duration: 90 } }),
    ev('edge.taken', 'decide', { data: { edge: 'e2' } }),
    ev('decision.taken', 'decide', { data: { outcome: 'ok', edge: 'e3', target: 'filing' } }),
    ev('edge.taken', 'filing', { data: { edge: 'e3' } }),
    ev('stage.started', 'filing', { visit: 1 }),
    ev('step.started', 'file', { visit: 1 }),
    ev('step.error', 'file', { visit: 1, data: { error: 'host not on the allowlist' } }),
    ev('run.error', 'file', { data: {} }),
  ];
}

describe('the path a run took', () => {
  it('marks edges and decision outcomes taken, visit counts and where the run is', () => {
    const path = runPath(history());
    expect(path.edges).toEqual({ e1: 1, e2: 2, e_back: 1, e3: 1 });
    expect(path.outcomes).toEqual({ decide: ['rework', 'ok'] });
    expect(path.nodes.review).toEqual({ visits: 2, state: 'visited' });
    expect(path.nodes.approve).toEqual({ visits: 2, state: 'visited' });
    expect(path.nodes.decide).toEqual({ visits: 2, state: 'visited' });
    expect(path.nodes.filing).toEqual({ visits: 1, state: 'current' });
    expect(path.nodes.file).toEqual({ visits: 1, state: 'error' });
    expect(path.current).toBe('filing');
  });

  it('moves on when the run is retried and ends', () => {
    const events = history();
    events.push(
      ev('run.retried', null),
      ev('step.started', 'file', { visit: 1 }),
      ev('step.completed', 'file', { visit: 1 }),
      ev('stage.completed', 'filing', { visit: 1 }),
      ev('edge.taken', 'done', { data: { edge: 'e4' } }),
      ev('end.reached', 'done'),
    );
    const path = runPath(events);
    expect(path.nodes.file!.state).toBe('visited');
    expect(path.nodes.done).toEqual({ visits: 1, state: 'current' });
    expect(path.current).toBe('done');
  });

  it('shows a stage waiting for its entry condition', () => {
    seq = 0;
    const path = runPath([ev('stage.waiting', 'legal', { visit: 1 })]);
    expect(path.nodes.legal).toEqual({ visits: 1, state: 'waiting' });
  });
});

describe('the timeline', () => {
  it('has every stage visit and step run, with who, when and how long', () => {
    const entries = buildTimeline(history(), { approve: 'review', file: 'filing' });
    expect(entries.map((e) => `${e.kind}:${e.node}:${e.visit}:${e.status}`)).toEqual([
      'stage:review:1:completed',
      'step:approve:1:completed',
      'stage:review:2:completed',
      'step:approve:2:completed',
      'stage:filing:1:in_progress',
      'step:file:1:error',
    ]);
    const [review1, approve1, review2, approve2, , file] = entries;
    expect(approve1).toMatchObject({
      by: 'fiona',
      seconds: 600,
      outcome: 'approve',
      assignee: 'group finance',
      stage: 'review',
    });
    expect(review1!.seconds).toBe(700);
    expect(review2!.waitingSince).not.toBeNull();
    expect(review2!.waitedSeconds).toBeGreaterThan(0);
    expect(approve2).toMatchObject({ by: 'frank', seconds: 60 });
    expect(file).toMatchObject({ status: 'error', error: 'host not on the allowlist' });
  });

  it('names people by display name and groups by label where the timeline says who', () => {
    const names: Record<string, string> = {
      'user fiona': 'Fiona Finance',
      'user frank': 'Frank Finance',
      'group finance': 'Finance team',
      'user otto': 'Otto Ops',
    };
    const nameOf = (type: string, value: string) => names[`${type} ${value}`] ?? value;
    const entries = buildTimeline(history(), { approve: 'review', file: 'filing' }, nameOf);
    const approvals = entries.filter((e) => e.node === 'approve');
    expect(approvals.map((e) => e.by)).toEqual(['Fiona Finance', 'Frank Finance']);
    expect(approvals[0]!.assignee).toBe('group Finance team');
    const repaired = buildTimeline(
      [
        ...history().slice(18, 21),
        ev('step.inputs_edited', 'file', {
          visit: 1,
          by: 'otto',
          data: { changes: [{ name: 'url', old: 'a', new: 'b' }] },
        }),
        ev('work_item.reassigned', 'file', { data: { to: { type: 'user', value: 'fiona' } } }),
      ],
      {},
      nameOf,
    ).find((e) => e.node === 'file')!;
    expect(repaired.repairs).toEqual(['inputs edited by Otto Ops: url a → b']);
    expect(repaired.assignee).toBe('Fiona Finance');
  });

  it('adds streamed events in order, none twice', () => {
    const events = history();
    const held = addEvents([], events.slice(0, 5));
    const again = addEvents(held, events.slice(3, 8));
    expect(again.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(addEvents(again, events.slice(0, 2))).toBe(again);
  });

  it('shows the values a person entered, and the repairs ops made with who and old → new', () => {
    const events = [
      ...history().slice(0, 5),
      ev('step.completed', 'approve', {
        visit: 1,
        by: 'fiona',
        data: { outcome: 'approve', outputs: { amount: 120, note: 'ok' } },
      }),
      ...history().slice(18, 21),
      ev('run.error', 'file', { data: {} }),
      ev('step.inputs_edited', 'file', {
        visit: 1,
        by: 'otto',
        data: { changes: [{ name: 'url', old: { expression: 'vars.url' }, new: 'https://ok' }] },
      }),
      ev('step.skipped', 'file', { visit: 1, by: 'ada', data: { outcome: 'by_hand' } }),
      ev('step.completed', 'file', { visit: 1, by: 'ada', data: { outcome: 'by_hand', outputs: {} } }),
    ];
    const entries = buildTimeline(events);
    expect(entries.find((e) => e.node === 'approve')!.values).toEqual({ amount: 120, note: 'ok' });
    const file = entries.find((e) => e.node === 'file')!;
    expect(file.repairs).toEqual([
      'inputs edited by otto: url the expression vars.url → https://ok',
      'skipped by ada with outcome by_hand',
    ]);
    expect(file).toMatchObject({ status: 'completed', values: null, error: null });
  });
});

describe('outcome labels for the timeline', () => {
  it("names each step's outcomes as its form does, from the version's document", () => {
    const { nodes } = documentToFlow({
      format: 1,
      key: 'refund',
      label: 'Refund',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'verify', type: 'stage', label: 'Verify' },
        {
          id: 'check',
          type: 'interactive',
          stage: 'verify',
          label: 'Check the claim',
          assignee: { type: 'group', value: 'support' },
          form: {
            fields: [],
            outcomes: [
              { value: 'approve', label: 'Refund it' },
              { value: 'reject', label: 'Turn it down' },
            ],
          },
        },
        { id: 'done', type: 'end' },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'verify' },
        { id: 'e2', source: 'verify', target: 'done' },
      ],
    });
    expect(outcomeLabels(nodes)).toEqual({ check: { approve: 'Refund it', reject: 'Turn it down' } });
  });
});

describe('a run moved to another version', () => {
  function moved(): RunEvent[] {
    seq = 0;
    return [
      ev('run.started', null),
      ev('stage.started', 'finance', { visit: 1 }),
      ev('step.started', 'approve', { visit: 1 }),
      ev('work_item.created', 'approve', { visit: 1, data: { assignee: { type: 'group', value: 'finance' } } }),
      ev('run.migrated', 'budget', {
        by: 'otto',
        data: { from: 1, to: 2, mapping: { finance: 'budget', approve: 'sign_off' }, positions: {} },
      }),
      ev('step.completed', 'sign_off', { visit: 1, by: 'fiona', data: { outcome: 'approve' } }),
      ev('stage.completed', 'budget', { visit: 1 }),
    ];
  }

  it('draws its path on the new version: renamed nodes under their new ids', () => {
    const path = runPath(moved().slice(0, 5));
    expect(path.current).toBe('budget');
    expect(Object.keys(path.nodes).sort()).toEqual(['budget', 'sign_off']);
    expect(path.nodes.sign_off?.state).toBe('current');
  });

  it('keeps one timeline entry per stage and step, renamed, and says who moved it where', () => {
    const timeline = buildTimeline(moved(), { sign_off: 'budget' }, (_t, v) => (v === 'otto' ? 'Otto Ops' : v));
    expect(timeline.map((t) => [t.kind, t.node, t.status])).toEqual([
      ['stage', 'budget', 'completed'],
      ['step', 'sign_off', 'completed'],
    ]);
    expect(timeline[0]?.repairs).toEqual(['moved from version 1 to version 2 by Otto Ops']);
    expect(timeline[1]?.stage).toBe('budget');
  });
});
