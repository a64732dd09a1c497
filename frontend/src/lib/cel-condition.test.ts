import { describe, expect, it } from 'vitest';

import { emptyRow, fitValue, parseCondition, rowProblem, serializeCondition, type Condition } from './cel-condition';

describe('parseCondition ⇄ serializeCondition', () => {
  it.each([
    "record.status == 'submitted'",
    "steps.legal_review.outcome == 'reject'",
    "stages.requirements.status == 'completed' && steps.pm_signoff.outcome == 'complete'",
    'inputs.amount >= 50000 || vars.vip == true',
    'inputs.amount < -2.5 && inputs.count != 0 && vars.limit <= 1e3',
    'record.owner == null',
    'vars.total > inputs.limit',
    "record.title.contains('urgent') || record.code.startsWith('X-') || record.code.endsWith('\\'s')",
    "record.note == 'a \\\\ b'",
  ])('round-trips %s', (text) => {
    const parsed = parseCondition(text);
    expect(parsed).not.toBeNull();
    expect(serializeCondition(parsed as Condition)).toBe(text);
  });

  it('reads the rows, their operators and typed values', () => {
    expect(parseCondition("record.amount >= 500 && record.kind != 'refund' && vars.ok == false")).toEqual({
      combinator: 'all',
      rows: [
        { field: 'record.amount', operator: '>=', value: { kind: 'number', text: '500' } },
        { field: 'record.kind', operator: '!=', value: { kind: 'string', text: 'refund' } },
        { field: 'vars.ok', operator: '==', value: { kind: 'boolean', text: 'false' } },
      ],
    });
    expect(parseCondition("record.a.contains('x') || record.b == vars.c")).toEqual({
      combinator: 'any',
      rows: [
        { field: 'record.a', operator: 'contains', value: { kind: 'string', text: 'x' } },
        { field: 'record.b', operator: '==', value: { kind: 'field', text: 'vars.c' } },
      ],
    });
  });

  it('gives back every condition the builder can make', () => {
    const conditions: Condition[] = [
      { combinator: 'all', rows: [] },
      { combinator: 'all', rows: [{ field: 'inputs.n', operator: '<', value: { kind: 'number', text: '3' } }] },
      {
        combinator: 'any',
        rows: [
          { field: 'inputs.n', operator: '<', value: { kind: 'number', text: '3' } },
          { field: 'inputs.n', operator: '>', value: { kind: 'number', text: '10.5' } },
        ],
      },
      {
        combinator: 'all',
        rows: [
          { field: 'record.name', operator: 'startsWith', value: { kind: 'string', text: 'O\'Neil "Jr"\n' } },
          { field: 'record.x', operator: '==', value: { kind: 'null', text: '' } },
          { field: 'steps.a.status', operator: '!=', value: { kind: 'field', text: 'steps.b.status' } },
        ],
      },
    ];
    for (const condition of conditions) expect(parseCondition(serializeCondition(condition))).toEqual(condition);
  });

  it('writes no combinator for a single row (it reads back as "all")', () => {
    const one: Condition = {
      combinator: 'any',
      rows: [{ field: 'vars.x', operator: '==', value: { kind: 'number', text: '1' } }],
    };
    expect(serializeCondition(one)).toBe('vars.x == 1');
    expect(parseCondition('vars.x == 1')?.combinator).toBe('all');
  });

  it('reads double quotes and loose spacing, and writes them the canonical way', () => {
    expect(serializeCondition(parseCondition('record.status=="ok"&&  record . n>1') as Condition)).toBe(
      "record.status == 'ok' && record.n > 1",
    );
  });

  it.each([
    'double(record.amount) >= 50000.0',
    'a == 1 && b == 2 || c == 3',
    '(record.a == 1)',
    'vars.rounds + 1',
    'true',
    '!vars.done',
    'has(record.notes)',
    "record.kind in ['a', 'b']",
    "'x' == record.kind",
    "record.status == 'unterminated",
    'record.name.size() > 3',
    'record.a.contains(vars.x)',
    "steps.a.outcome == 'x' ? 1 : 2",
  ])('leaves %s to raw CEL', (text) => {
    expect(parseCondition(text)).toBeNull();
  });

  it('treats an empty expression as no rows, and leaves incomplete rows out of the CEL', () => {
    expect(parseCondition('  ')).toEqual({ combinator: 'all', rows: [] });
    const condition: Condition = {
      combinator: 'all',
      rows: [
        emptyRow(),
        { field: 'inputs.n', operator: '>', value: { kind: 'number', text: 'abc' } },
        { field: 'inputs.ok', operator: '==', value: { kind: 'boolean', text: 'true' } },
      ],
    };
    expect(serializeCondition(condition)).toBe('inputs.ok == true');
  });

  it('says what is missing in a row', () => {
    expect(rowProblem(emptyRow())).toMatch(/Choose a field/);
    expect(rowProblem({ field: 'inputs.n', operator: '>', value: { kind: 'number', text: 'x' } })).toMatch(/number/);
    expect(rowProblem({ field: 'inputs.n', operator: 'contains', value: { kind: 'number', text: '1' } })).toMatch(
      /text/,
    );
    expect(rowProblem({ field: 'inputs.n', operator: '==', value: { kind: 'field', text: 'true' } })).toMatch(/field/);
    expect(rowProblem({ field: 'inputs.n', operator: '==', value: { kind: 'string', text: '' } })).toBeNull();
  });
});

describe('fitValue', () => {
  it('makes the value follow the chosen field’s type, keeping what already fits', () => {
    const text = { kind: 'string' as const, text: 'abc' };
    expect(fitValue({ type: 'boolean' }, text)).toEqual({ kind: 'boolean', text: 'true' });
    expect(fitValue({ type: 'boolean' }, { kind: 'boolean', text: 'false' })).toEqual({
      kind: 'boolean',
      text: 'false',
    });
    expect(fitValue({ type: 'number' }, text)).toEqual({ kind: 'number', text: '' });
    expect(fitValue({ type: 'number' }, { kind: 'string', text: ' 12 ' })).toEqual({ kind: 'number', text: '12' });
    expect(fitValue({ type: 'string' }, { kind: 'number', text: '3' })).toEqual({ kind: 'string', text: '' });
    expect(fitValue({ type: 'string', options: ['a'] }, text)).toBe(text);
    expect(fitValue({ type: 'number' }, { kind: 'field', text: 'vars.limit' })).toEqual({
      kind: 'field',
      text: 'vars.limit',
    });
    expect(fitValue({ type: 'boolean' }, { kind: 'null', text: '' })).toEqual({ kind: 'null', text: '' });
    expect(fitValue({ type: 'unknown' }, text)).toBe(text);
  });
});
