import { describe, expect, it } from 'vitest';

import { parseDocument } from './document-schema';
import {
  candidates,
  countedMessage,
  chooseMapping,
  fieldErrors,
  mappingClashes,
  markedLabel,
  markings,
  migrationNodes,
  planBody,
  progressText,
  resolveMapping,
  resultText,
  suggestedMapping,
  type Migration,
  type MigrationNode,
} from './migration';

const V1 = parseDocument({
  format: 1,
  key: 'contract',
  label: 'Contract',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'legal', type: 'stage', label: 'Legal' },
    { id: 'review', type: 'interactive', stage: 'legal', label: 'Legal review' },
    { id: 'budget', type: 'stage', label: 'Budget check' },
    { id: 'approve', type: 'interactive', stage: 'budget', label: 'Approve budget' },
    { id: 'gate', type: 'stage', label: 'Gate' },
    { id: 'done', type: 'end', label: 'Done' },
  ],
  edges: [],
});
const V2 = parseDocument({
  format: 1,
  key: 'contract',
  label: 'Contract',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'legal', type: 'stage', label: 'Legal' },
    { id: 'review', type: 'interactive', stage: 'legal', label: 'Legal review' },
    { id: 'finance', type: 'stage', label: 'Budget check' },
    { id: 'sign_off', type: 'interactive', stage: 'finance', label: 'Approve budget' },
    { id: 'gate', type: 'decision', label: 'Gate' },
    { id: 'compliance', type: 'stage', label: 'Compliance' },
    { id: 'done', type: 'end', label: 'Done' },
  ],
  edges: [],
});

const source = migrationNodes(V1);
const target = migrationNodes(V2);
const node = (nodes: MigrationNode[], id: string) => nodes.find((n) => n.id === id)!;

describe('migration nodes', () => {
  it('lists what a run can sit on, with labels, kinds and stages, and never the start', () => {
    expect(source.map((n) => n.id)).toEqual(['legal', 'review', 'budget', 'approve', 'gate', 'done']);
    expect(node(source, 'review')).toEqual({
      id: 'review',
      kind: 'interactive',
      label: 'Legal review',
      stage: 'legal',
    });
    expect(node(source, 'budget').stage).toBeNull();
  });
});

describe('the default mapping', () => {
  it('maps same id and kind to itself; a removed node and one whose kind changed have no place', () => {
    const mapped = resolveMapping(source, target, {});
    const how = Object.fromEntries(mapped.map((m) => [m.node.id, [m.how, m.to?.id ?? null]]));
    expect(how).toEqual({
      legal: ['same', 'legal'],
      review: ['same', 'review'],
      budget: ['removed', null],
      approve: ['removed', null],
      gate: ['retyped', null],
      done: ['same', 'done'],
    });
  });

  it('an explicit choice wins over the default, and lists a node seen in two source versions once', () => {
    const mapped = resolveMapping([...source, ...source], target, { budget: 'finance', review: 'sign_off' });
    expect(mapped).toHaveLength(6);
    expect(mapped.find((m) => m.node.id === 'budget')).toMatchObject({ how: 'explicit', to: { id: 'finance' } });
    expect(mapped.find((m) => m.node.id === 'review')).toMatchObject({ how: 'explicit', to: { id: 'sign_off' } });
  });

  it('offers only target nodes of the same kind', () => {
    expect(candidates(node(source, 'budget'), target).map((n) => n.id)).toEqual(['legal', 'finance', 'compliance']);
    expect(candidates(node(source, 'approve'), target).map((n) => n.id)).toEqual(['review', 'sign_off']);
  });

  it('choosing the default or nothing drops the explicit entry; another node keeps it', () => {
    let mapping = chooseMapping({}, node(source, 'budget'), 'finance', target);
    expect(mapping).toEqual({ budget: 'finance' });
    mapping = chooseMapping(mapping, node(source, 'legal'), 'legal', target);
    expect(mapping).toEqual({ budget: 'finance' });
    mapping = chooseMapping(mapping, node(source, 'legal'), 'compliance', target);
    expect(mapping).toEqual({ budget: 'finance', legal: 'compliance' });
    mapping = chooseMapping(mapping, node(source, 'budget'), '', target);
    expect(mapping).toEqual({ legal: 'compliance' });
  });

  it('suggests a node of the same kind and name for those without a place, never one already taken', () => {
    expect(suggestedMapping(source, target)).toEqual({ budget: 'finance', approve: 'sign_off' });
  });

  it('says when two nodes land on one', () => {
    const clashes = mappingClashes(resolveMapping(source, target, { budget: 'legal' }));
    expect(Object.keys(clashes).sort()).toEqual(['budget', 'legal']);
    expect(clashes.budget).toContain('Legal is already the place of Legal');
  });
});

describe('the marks on the canvases', () => {
  it('numbers each pair alike on both sides; removed and new nodes say so', () => {
    const marks = markings(resolveMapping(source, target, { budget: 'finance' }), target);
    expect(marks.source.legal).toEqual({ state: 'matched', number: 1 });
    expect(marks.target.legal).toEqual({ state: 'matched', number: 1 });
    expect(marks.source.budget).toEqual({ state: 'explicit', number: 3 });
    expect(marks.target.finance).toEqual({ state: 'explicit', number: 3 });
    expect(marks.source.approve).toEqual({ state: 'removed' });
    expect(marks.source.gate).toEqual({ state: 'retyped' });
    expect(marks.target.compliance).toEqual({ state: 'new' });
    expect(marks.target.sign_off).toEqual({ state: 'new' });
  });

  it('puts the marks into words on the node', () => {
    expect(markedLabel('Legal', { state: 'matched', number: 1 })).toBe('1 · Legal');
    expect(markedLabel('Budget check', { state: 'explicit', number: 3 })).toBe('3 · Budget check (mapped)');
    expect(markedLabel('Budget check', { state: 'removed' })).toBe('Budget check — removed, map it');
    expect(markedLabel('Compliance', { state: 'new' })).toBe('Compliance (new)');
  });
});

describe('the plan and the answers', () => {
  it('sends the plan without empty filters', () => {
    const options = {
      sources: [3, 1],
      target: 4,
      stages: [],
      mapping: {},
      recompute: [],
      timers: 'keep' as const,
    };
    expect(planBody(options, true)).toEqual({ target: 4, sources: [1, 3], dry_run: true, timers: 'keep' });
    expect(
      planBody({ ...options, stages: ['budget'], mapping: { budget: 'finance' }, recompute: ['due'] }, false),
    ).toEqual({
      target: 4,
      sources: [1, 3],
      stages: ['budget'],
      mapping: { budget: 'finance' },
      recompute: ['due'],
      timers: 'keep',
      dry_run: false,
    });
  });

  it("reads a 4xx's details field by field, the mapping node by node", () => {
    expect(
      fieldErrors({
        target: ['Missing data for required field.'],
        mapping: { budget: "maps to 'x', which is not a node" },
      }),
    ).toEqual({
      fields: { target: 'Missing data for required field.' },
      mapping: { budget: "maps to 'x', which is not a node" },
    });
    expect(fieldErrors({ mapping: 'must map node ids to node ids' }).fields).toEqual({
      mapping: 'must map node ids to node ids',
    });
    expect(fieldErrors(null)).toEqual({ fields: {}, mapping: {} });
  });

  it('says the progress in words', () => {
    const m = { moved: 150, total: 412, refused: 2, failed: 0, skipped: 1 } as Migration;
    expect(progressText(m)).toBe('moved 150 of 412, 2 could not move, 1 already on the target');
  });

  it('says what a migration that ended did', () => {
    const m = {
      status: 'completed',
      target: 2,
      moved: 3,
      refused: 1,
      failed: 0,
      skipped: 2,
      groups: [{ code: 'removed', message: 'sits on Budget check, removed in version 2 without a mapping', count: 1 }],
    } as Migration;
    expect(resultText(m)).toBe(
      '3 runs moved to version 2; 1 stayed where it was: 1 sits on Budget check, removed in version 2 without a mapping; 2 already on version 2.',
    );
    expect(resultText({ ...m, moved: 1, refused: 0, skipped: 0, status: 'cancelled' })).toBe(
      '1 run moved to version 2 (cancelled before the end).',
    );
  });

  it('counts a group in the plural', () => {
    expect(countedMessage(20, 'sits on Budget check, removed in version 2 without a mapping')).toBe(
      '20 sit on Budget check, removed in version 2 without a mapping',
    );
    expect(countedMessage(1, 'sits on Budget check')).toBe('1 sits on Budget check');
    expect(countedMessage(3, 'is suspended; resume it first')).toBe('3 are suspended; resume it first');
    expect(countedMessage(2, 'step Review waits')).toBe('2 step Review waits');
  });
});
