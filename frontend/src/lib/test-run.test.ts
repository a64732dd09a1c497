import { describe, expect, it } from 'vitest';

import { describeStep, isDuration, refusalOf, scenarioSlug, trialSchema, withAnswer } from './test-run';
import { checkInputs, inputsForm, serverInputErrors } from './work-guide';

describe('test run steps', () => {
  it('puts an answer just before the step that ran the background action, replacing an earlier one', () => {
    const steps = [
      { start: {} },
      { mock: { step: 'crm', fail: 'x' } },
      { as: 'finance', complete: 'approve' },
      { advance: 'P1D' },
    ];
    expect(withAnswer(steps, 2, { step: 'crm', result: { ok: true } })).toEqual([
      { start: {} },
      { mock: { step: 'crm', result: { ok: true } } },
      { as: 'finance', complete: 'approve' },
      { advance: 'P1D' },
    ]);
    expect(withAnswer([{ start: {} }], 0, { step: 'crm', result: {} })).toEqual([
      { mock: { step: 'crm', result: {} } },
      { start: {} },
    ]);
  });

  it('reads a refusal: the step index and the background step waiting for an answer', () => {
    expect(
      refusalOf('step 2: …', { step: 1, kind: 'mock', unanswered: { step: 'crm', action: 'http.request' } }),
    ).toEqual({ message: 'step 2: …', step: 1, unanswered: { step: 'crm', action: 'http.request' } });
    expect(refusalOf('bad', { step: null, unanswered: null })).toEqual({
      message: 'bad',
      step: null,
      unanswered: null,
    });
    expect(refusalOf('bad', 'garbage')).toEqual({ message: 'bad', step: null, unanswered: null });
  });

  it('says each step in words, with step labels', () => {
    const label = (id: string) => ({ approve: 'Approve the expense', crm: 'Tell the CRM' })[id] ?? id;
    expect(describeStep({ start: { inputs: { amount: 120 } } }, label)).toBe('Started with {"amount":120}');
    expect(describeStep({ start: { record: { object: 'contract', fields: { title: 'A' } } } })).toBe(
      'Started on a new contract {"title":"A"}',
    );
    expect(
      describeStep({ as: 'finance', complete: 'approve', outcome: 'approve', values: { note: 'ok' } }, label),
    ).toBe('finance completed Approve the expense: approve {"note":"ok"}');
    expect(describeStep({ advance: 'P2D' })).toBe('Clock moved by P2D');
    expect(describeStep({ advance: 'next' })).toBe('Clock moved to the next timer');
    expect(describeStep({ event: { name: 'paid', correlation: 'o1' } })).toBe(
      'Event paid delivered (correlation "o1")',
    );
    expect(describeStep({ mock: { step: 'crm', fail: 'down' } }, label)).toBe(
      'Tell the CRM answers: fails with "down"',
    );
  });

  it('checks durations and makes scenario names into slugs', () => {
    expect(['PT4H', 'P2D', 'P1W', 'P1DT2H', 'PT30S'].every(isDuration)).toBe(true);
    expect(['', 'P', 'PT', '2 days', 'P1H', 'soon'].some(isDuration)).toBe(false);
    expect(scenarioSlug('Finance approves, legal files!')).toBe('finance-approves-legal-files');
    expect(scenarioSlug('!!!')).toBe('test-run');
  });

  it('checks what the server answers', () => {
    const answer = {
      source: 'draft',
      personas: { requester: { user: 'requester' }, finance: { user: 'finance_user', groups: ['finance'] } },
      run: {
        id: 'r1',
        orchestration: 'expense',
        version: 1,
        status: 'in_progress',
        label: 'Expense',
        current_node: 'review',
        current_stage: 'review',
        stages: [{ id: 'review', label: 'Review', status: 'in_progress', visits: 1 }],
        history: [{ stage: 'review', visit: 1, status: 'in_progress' }],
        work_items: [],
        vars: {},
        steps: [
          {
            id: 'approve',
            label: 'Approve',
            stage: 'review',
            type: 'interactive',
            status: 'waiting',
            outcome: null,
            error: null,
          },
        ],
        error: null,
      },
      work_items: [
        {
          id: 'w1',
          run_id: 'r1',
          orchestration: 'expense',
          step_id: 'approve',
          stage_id: 'review',
          label: 'Approve',
          assignee: { type: 'group', value: 'finance' },
          status: 'open',
          claimed_by: null,
          created_at: '2026-01-05T09:00:00+00:00',
          due_at: null,
          overdue: false,
          record: null,
          personas: ['finance'],
          form: { fields: [], outcomes: [{ value: 'approve', label: 'Approve' }] },
        },
      ],
      events: [],
      now: '2026-01-05T09:00:00+00:00',
      next_timer: null,
      scenario: 'scenario: 1\n',
    };
    expect(trialSchema.safeParse(answer).success).toBe(true);
    expect(
      trialSchema.safeParse({ ...answer, work_items: [{ ...answer.work_items[0], personas: 'finance' }] }).success,
    ).toBe(false);
  });
});

describe("a run's inputs as a form", () => {
  const inputs = [
    { name: 'amount', type: 'number', required: true, label: 'Amount', description: 'In euros' },
    { name: 'customer_name', type: 'string' },
    { name: 'urgent', type: 'boolean', required: true },
    { name: 'tags', type: 'list', default: ['a'] },
    { name: 'due', type: 'date' },
  ];

  it('gives each input a field: label, required mark, help, default', () => {
    const form = inputsForm(inputs);
    expect(form.fields.map((f) => [f.name, f.type, f.label, f.required])).toEqual([
      ['amount', 'number', 'Amount', true],
      ['customer_name', 'text', 'Customer name', false],
      ['urgent', 'boolean', 'Urgent', true],
      ['tags', 'textarea', 'Tags', false],
      ['due', 'date', 'Due', false],
    ]);
    expect(form.fields[0]!.help).toBe('In euros');
    expect(form.fields[3]!.default).toBe('["a"]');
  });

  it("checks inputs by the server's rules", () => {
    expect(checkInputs(inputs, { amount: '', customer_name: '', urgent: false, tags: '', due: '' })).toEqual({
      values: { urgent: false },
      errors: { amount: 'is required' },
    });
    expect(
      checkInputs(inputs, { amount: '12.5', customer_name: 'Acme', urgent: true, tags: '{"a": 1}', due: '2026-13-45' })
        .errors,
    ).toEqual({ tags: 'must be a list', due: 'must be a date (YYYY-MM-DD)' });
    expect(
      checkInputs(inputs, { amount: '3', customer_name: '', urgent: false, tags: '["x"]', due: '2026-01-05' }).values,
    ).toEqual({ amount: 3, urgent: false, tags: ['x'], due: '2026-01-05' });
  });

  it("reads the server's 422 per input", () => {
    expect(serverInputErrors({ inputs: { amount: 'must be a number' } })).toEqual({ amount: 'must be a number' });
    expect(serverInputErrors(null)).toEqual({});
  });
});
