import { describe, expect, it } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import type { OrchestrationDocument } from './document-schema';
import {
  assignedTo,
  checkForm,
  conflictNotice,
  filterWorkItems,
  initialInputs,
  isMine,
  isOverdue,
  mainFields,
  mayAct,
  nextStages,
  outcomeLabel,
  personName,
  progressOf,
  serverFieldErrors,
  sortWorkItems,
  stepOutcomeLabel,
  takenNotice,
  waitedFor,
} from './work-guide';
import type { FormDefinition, Run, WorkItem, WorkItemDetail } from './work-schemas';

const form: FormDefinition = {
  fields: [
    { name: 'notes', type: 'textarea', label: 'Notes' },
    { name: 'amount', type: 'number', label: 'Amount', required: true },
    { name: 'count', type: 'integer' },
    { name: 'signed_on', type: 'date', required: true },
    { name: 'email', type: 'email' },
    { name: 'ok', type: 'boolean' },
    { name: 'region', type: 'select', options: ['EU', 'US'] },
    { name: 'tags', type: 'multiselect', options: ['a', 'b'] },
  ],
  outcomes: [{ value: 'approve', label: 'Approve' }],
};

describe('checkForm', () => {
  it('says which fields are missing or do not fit, in the server’s words', () => {
    const inputs = { ...initialInputs(form), count: '1.5', email: 'nope', region: 'APAC' };
    expect(checkForm(form, inputs).errors).toEqual({
      amount: 'is required',
      signed_on: 'is required',
      count: 'must be an integer',
      email: 'must be an email address (name@example.com)',
      region: 'must be one of: EU, US',
    });
  });

  it('turns inputs into the values the API takes, leaving empty optional fields out', () => {
    const inputs = {
      ...initialInputs(form),
      amount: ' 12.5 ',
      signed_on: '2026-11-26',
      ok: true,
      tags: ['b', 'a'],
      notes: 'fine',
    };
    expect(checkForm(form, inputs)).toEqual({
      values: { notes: 'fine', amount: 12.5, signed_on: '2026-11-26', ok: true, tags: ['b', 'a'] },
      errors: {},
    });
  });

  it('refuses a date that is not one', () => {
    expect(checkForm(form, { ...initialInputs(form), amount: '1', signed_on: '26/11/2026' }).errors).toEqual({
      signed_on: 'must be a date (YYYY-MM-DD)',
    });
  });

  it('starts from the fields’ defaults', () => {
    const withDefaults: FormDefinition = {
      fields: [
        { name: 'n', type: 'number', default: 3 },
        { name: 'b', type: 'boolean', default: true },
      ],
      outcomes: [],
    };
    expect(initialInputs(withDefaults)).toEqual({ n: '3', b: true });
  });

  it('reads the per-field errors of a 422', () => {
    expect(serverFieldErrors({ fields: { amount: 'must be a number' } })).toEqual({ amount: 'must be a number' });
    expect(serverFieldErrors('nope')).toEqual({});
  });
});

const document = contractApproval as unknown as OrchestrationDocument;
const stages = document.nodes
  .filter((n) => n.type === 'stage')
  .map((n) => ({ id: n.id, label: (n as { label: string }).label, status: 'not_started', visits: 0 }));

function run(over: Partial<Run>): Run {
  return {
    id: 'r1',
    orchestration: 'contract_approval',
    version: 1,
    status: 'in_progress',
    label: 'Contract approval',
    current_node: null,
    current_stage: null,
    stages,
    history: [],
    work_items: [],
    ...over,
  };
}

describe('progressOf', () => {
  it('shows the current stage and the likeliest next one first', () => {
    const p = progressOf(
      run({
        current_node: 'legal',
        current_stage: 'legal',
        history: [{ stage: 'legal', visit: 1, status: 'in_progress' }],
      }),
      document,
    );
    expect(p.done).toEqual([]);
    expect(p.current).toEqual({ id: 'legal', label: 'Legal review' });
    expect(p.next.map((s) => s.id)).toEqual(['finance', 'revise']);
  });

  it('lists the stages done, a stage visited twice twice, and follows decisions after decisions', () => {
    const history = [
      { stage: 'legal', visit: 1, status: 'completed' },
      { stage: 'finance', visit: 1, status: 'completed' },
      { stage: 'revise', visit: 1, status: 'completed' },
      { stage: 'legal', visit: 2, status: 'completed' },
      { stage: 'finance', visit: 2, status: 'in_progress' },
    ];
    const p = progressOf(run({ current_node: 'finance', current_stage: 'finance', history }), document);
    expect(p.done.map((s) => `${s.id}#${s.visit}`)).toEqual(['legal#1', 'finance#1', 'revise#1', 'legal#2']);
    expect(p.current?.label).toBe('Finance review');
    expect(p.next.map((s) => s.id)).toEqual(['executive', 'vp', 'revise']);
  });

  it('names the end a finished run reached, with nothing next', () => {
    const p = progressOf(
      run({
        status: 'completed',
        current_node: 'signed',
        history: [{ stage: 'executive', visit: 1, status: 'completed' }],
      }),
      document,
    );
    expect(p).toMatchObject({ current: null, next: [], ended: { id: 'signed', label: 'Signed' }, status: 'completed' });
  });

  it('shows no next stage without the document', () => {
    expect(nextStages(null, 'legal')).toEqual([]);
  });
});

function item(id: string, over: Partial<WorkItem> = {}): WorkItem {
  return {
    id,
    run_id: 'r',
    orchestration: 'contract_approval',
    step_id: 's',
    stage_id: 'st',
    label: `Step ${id}`,
    assignee: { type: 'group', value: 'legal' },
    status: 'open',
    claimed_by: null,
    created_at: '2026-11-20T09:00:00Z',
    due_at: null,
    overdue: false,
    record: null,
    ...over,
  };
}

describe('My work', () => {
  const now = new Date('2026-11-26T09:00:00Z');

  it('sorts soonest due first, then undated ones oldest first', () => {
    const items = [
      item('c', { created_at: '2026-11-19T09:00:00Z' }),
      item('b', { due_at: '2026-11-27T09:00:00Z' }),
      item('d', { created_at: '2026-11-18T09:00:00Z' }),
      item('a', { due_at: '2026-11-25T09:00:00Z' }),
    ];
    expect(sortWorkItems(items).map((i) => i.id)).toEqual(['a', 'b', 'd', 'c']);
  });

  it('marks open items past due as overdue, never done ones', () => {
    expect(isOverdue(item('a', { due_at: '2026-11-25T09:00:00Z' }), now)).toBe(true);
    expect(isOverdue(item('a', { due_at: '2026-11-27T09:00:00Z' }), now)).toBe(false);
    expect(isOverdue(item('a', { due_at: '2026-11-25T09:00:00Z', status: 'completed' }), now)).toBe(false);
  });

  it('counts an item a colleague claimed as theirs, not mine', () => {
    expect(isMine(item('a', { status: 'claimed', claimed_by: 'frank' }), 'fiona')).toBe(false);
    expect(isMine(item('a', { status: 'claimed', claimed_by: 'fiona' }), 'fiona')).toBe(true);
  });

  it('says how long an item has waited', () => {
    expect(waitedFor('2026-11-26T08:55:00Z', now)).toBe('5 min');
    expect(waitedFor('2026-11-25T08:00:00Z', now)).toBe('25 h');
    expect(waitedFor('2026-11-20T09:00:00Z', now)).toBe('6 days');
  });

  it('filters by orchestration, status and a search of the step and record', () => {
    const items = [
      item('a', { label: 'Review contract terms', due_at: '2026-11-25T09:00:00Z' }),
      item('b', { orchestration: 'service_request', label: 'Inspect return', status: 'claimed', claimed_by: 'walt' }),
    ];
    const names = (i: WorkItem) => (i.id === 'a' ? 'Acme MSA' : 'Globex');
    const all = { orchestration: '', status: '' as const, search: '' };
    expect(filterWorkItems(items, { ...all, orchestration: 'service_request' }, now, names).map((i) => i.id)).toEqual([
      'b',
    ]);
    expect(filterWorkItems(items, { ...all, status: 'overdue' }, now, names).map((i) => i.id)).toEqual(['a']);
    expect(filterWorkItems(items, { ...all, status: 'claimed' }, now, names).map((i) => i.id)).toEqual(['b']);
    expect(filterWorkItems(items, { ...all, search: 'acme' }, now, names).map((i) => i.id)).toEqual(['a']);
  });
});

describe('one step', () => {
  const item: WorkItem = {
    id: 'w1',
    run_id: 'r1',
    orchestration: 'contract_approval',
    step_id: 'finance_review',
    stage_id: 'finance',
    label: 'Check pricing',
    assignee: { type: 'group', value: 'finance' },
    assignee_name: 'Finance',
    status: 'open',
    claimed_by: null,
    created_at: '2026-01-01T00:00:00Z',
    due_at: null,
    overdue: false,
    record: null,
  };
  const detail = { ...item, form } as WorkItemDetail;

  it('names people: you, else their display name, else their user name', () => {
    expect(personName('fiona', 'Fiona Finance', 'fiona')).toBe('you');
    expect(personName('frank', 'Frank Finance', 'fiona')).toBe('Frank Finance');
    expect(personName('frank', null, 'fiona')).toBe('frank');
    expect(personName(null, null, 'fiona')).toBe('someone');
  });

  it('says who a step is for', () => {
    expect(assignedTo(item, 'fiona')).toBe('the Finance group');
    expect(
      assignedTo({ ...item, assignee: { type: 'queue', value: 'warehouse' }, assignee_name: undefined }, 'walt'),
    ).toBe('the warehouse queue');
    expect(assignedTo({ ...item, assignee: { type: 'user', value: 'sue' }, assignee_name: 'Sue Support' }, 'sue')).toBe(
      'you',
    );
    expect(
      assignedTo({ ...item, assignee: { type: 'user', value: 'sue' }, assignee_name: 'Sue Support' }, 'otto'),
    ).toBe('Sue Support');
  });

  it('offers the form only to whom may complete it now', () => {
    expect(mayAct(item, 'fiona')).toBe(true);
    expect(mayAct({ ...item, status: 'claimed', claimed_by: 'fiona' }, 'fiona')).toBe(true);
    expect(mayAct({ ...item, status: 'claimed', claimed_by: 'frank' }, 'fiona')).toBe(false);
    expect(mayAct({ ...item, status: 'completed', completed_by: 'fiona' }, 'fiona')).toBe(false);
    expect(mayAct({ ...item, assignee: { type: 'user', value: 'sue' } }, 'otto')).toBe(false);
  });

  it('explains a 409 from the step as it is now', () => {
    expect(
      conflictNotice(
        detail,
        { ...item, status: 'completed', completed_by: 'frank', completed_by_name: 'Frank Finance', outcome: 'approve' },
        'fiona',
        'x',
      ),
    ).toBe('Frank Finance completed this step meanwhile (Approve); your answer was not recorded.');
    expect(conflictNotice(detail, { ...item, status: 'claimed', claimed_by: 'frank' }, 'fiona', 'x')).toBe(
      'frank has claimed this step meanwhile; your answer was not recorded.',
    );
    expect(conflictNotice(detail, null, 'fiona', 'run was cancelled')).toBe(
      'This step changed meanwhile and your answer was not recorded: run was cancelled',
    );
  });

  it('says who completed it first', () => {
    expect(takenNotice({ ...item, completed_by: 'frank', completed_by_name: 'Frank Finance' })).toBe(
      'Frank Finance completed this step meanwhile; there is nothing more for you to do on it.',
    );
    expect(takenNotice({ ...item, completed_by: 'frank', completed_by_name: null })).toBe(
      'frank completed this step meanwhile; there is nothing more for you to do on it.',
    );
  });

  it('labels outcomes by the form of the step that ended with them', () => {
    expect(outcomeLabel(form, 'approve')).toBe('Approve');
    expect(outcomeLabel(form, 'other')).toBe('other');
    const document = contractApproval as unknown as OrchestrationDocument;
    expect(stepOutcomeLabel(document, 'legal_review', 'approve')).toBe('Approve');
    expect(stepOutcomeLabel(document, 'no_such_step', 'approve')).toBe('approve');
    expect(stepOutcomeLabel(null, 'legal_review', null)).toBe('done');
  });

  it('picks a record’s main fields: the type’s order, then the rest, without empty ones or its id', () => {
    const fields = { id: 'c1', object: 'contract', owner: 'sam', amount: 9000, title: 'Acme', note: '', extra: 'x' };
    expect(mainFields(fields, ['title', 'customer', 'amount'])).toEqual(['title', 'amount', 'extra']);
    expect(mainFields(fields, ['title', 'amount'], 1)).toEqual(['title']);
  });
});
