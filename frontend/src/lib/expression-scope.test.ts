import { describe, expect, it } from 'vitest';

import { describeName, filterNames, namesInScope, typeLabel } from './expression-scope';
import { refundFlow, refundRecordTypes } from './expression-scope.fixture';

const flow = refundFlow;
const types = refundRecordTypes;
const names = (scope: Parameters<typeof namesInScope>[2]) => namesInScope(flow, types, scope).map((n) => n.name);

describe('names in scope', () => {
  it('offers an upstream step’s form fields to a decision, not a downstream one’s', () => {
    const atRoute = names({ node: 'route' });
    expect(atRoute).toContain('steps.triage.outputs.approved');
    expect(atRoute).toContain('steps.triage.outcome');
    expect(atRoute).toContain('stages.intake.visits');
    expect(atRoute.some((n) => n.startsWith('steps.pay.'))).toBe(false);
    expect(atRoute.some((n) => n.startsWith('stages.refund.'))).toBe(false);
  });

  it('offers a stage’s entry what came before it, its exit its own steps too; a step its siblings, not itself', () => {
    expect(names({ node: 'refund', field: 'entry' }).some((n) => n.startsWith('steps.pay.'))).toBe(false);
    expect(names({ node: 'refund', field: 'entry' })).toContain('steps.triage.outputs.channel');
    expect(names({ node: 'refund', field: 'exit' })).toContain('steps.pay.outputs.paid_on');
    const atCheck = names({ node: 'check' });
    expect(atCheck).toContain('steps.triage.outputs.amount');
    expect(atCheck.some((n) => n.startsWith('steps.check.'))).toBe(false);
    expect(names({ node: 'intake', field: 'entry' }).some((n) => n.startsWith('steps.'))).toBe(false);
  });

  it('labels and types each name', () => {
    const byName = new Map(namesInScope(flow, types, { node: 'route' }).map((n) => [n.name, n]));
    expect(byName.get('steps.triage.outputs.approved')).toEqual({
      name: 'steps.triage.outputs.approved',
      label: 'Triage › Approved?',
      type: 'boolean',
    });
    expect(byName.get('steps.triage.outputs.channel')).toMatchObject({
      label: 'Triage › Channel',
      type: 'string',
      options: ['mail', 'phone'],
    });
    expect(byName.get('steps.triage.outputs.amount')).toMatchObject({ type: 'number' });
    expect(byName.get('steps.triage.outcome')).toMatchObject({ options: ['done', 'escalate'] });
    expect(byName.get('record.kind')).toEqual({
      name: 'record.kind',
      label: 'Service request › Kind',
      type: 'string',
      options: ['refund', 'exchange'],
    });
    expect(byName.get('record.urgent')).toMatchObject({ label: 'Service request › Urgent', type: 'boolean' });
    expect(byName.get('inputs.amount')).toEqual({
      name: 'inputs.amount',
      label: 'Input › Amount asked',
      type: 'number',
    });
    expect(byName.get('vars.rounds')).toEqual({ name: 'vars.rounds', label: 'Variable › Rounds', type: 'number' });
    expect(typeLabel(byName.get('record.kind')!)).toBe('one of refund, exchange');
    expect(typeLabel(byName.get('steps.triage.outputs.approved')!)).toBe('yes/no');
  });

  it('gives a trigger condition only the record and now', () => {
    expect(names('trigger')).toEqual([
      'record.kind',
      'record.urgent',
      'record.id',
      'record.owner',
      'record.object',
      'now',
    ]);
  });

  it('offers only the built-in record fields when the trigger’s type is unknown or the trigger is manual', () => {
    expect(namesInScope(flow, [], 'trigger').map((n) => n.name)).toEqual([
      'record.id',
      'record.owner',
      'record.object',
      'now',
    ]);
    const manual = { ...flow, meta: { ...flow.meta, trigger: { type: 'manual' } } };
    expect(
      namesInScope(manual, types, { node: 'route' })
        .filter((n) => n.name.startsWith('record.'))
        .map((n) => n.name),
    ).toEqual(['record.id', 'record.owner', 'record.object']);
  });

  it('describes one name without listing them all, and filters on name and label', () => {
    expect(describeName(flow, types, 'steps.pay.outputs.paid_on')).toMatchObject({
      label: 'Pay out › Paid on',
      type: 'string',
    });
    expect(describeName(flow, types, 'record.kind')?.options).toEqual(['refund', 'exchange']);
    expect(describeName(flow, types, 'vars.rounds')?.type).toBe('number');
    expect(describeName(flow, types, 'steps.nope.outcome')).toBeNull();
    expect(describeName(flow, types, 'stages.intake.visits')).toEqual({
      name: 'stages.intake.visits',
      label: 'Intake › Visits',
      type: 'number',
    });
    expect(describeName(flow, types, 'inputs.amount')?.label).toBe('Input › Amount asked');
    expect(describeName(flow, types, 'now')?.type).toBe('timestamp');
    expect(describeName(flow, types, 'run.started_by')?.label).toBe('Run › Started by');
    expect(describeName(flow, types, 'vars.nope')).toBeNull();
    const all = namesInScope(flow, types, 'document');
    expect(filterNames(all, 'approved').map((n) => n.name)).toEqual(['steps.triage.outputs.approved']);
    expect(filterNames(all, 'service KIND').map((n) => n.name)).toEqual(['record.kind']);
    expect(filterNames(all, '', 3)).toHaveLength(3);
  });
});
