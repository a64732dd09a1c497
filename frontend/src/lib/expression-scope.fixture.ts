/** A small flow for the condition-scope tests: Intake (Triage, Check) → Route → Refund (Pay out) → done. */
import { documentToFlow } from './document';
import { parseDocument } from './document-schema';
import type { RecordTypeFields } from './expression-scope';

export const refundDocument = parseDocument({
  format: 1,
  key: 'refunds',
  label: 'Refunds',
  trigger: { type: 'record', object: 'service_request', on: ['create'] },
  inputs: [{ name: 'amount', type: 'number', label: 'Amount asked' }],
  variables: [{ name: 'rounds', type: 'integer' }],
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'intake', type: 'stage', label: 'Intake' },
    {
      id: 'triage',
      type: 'interactive',
      stage: 'intake',
      label: 'Triage',
      assignee: { type: 'group', value: 'support' },
      form: {
        fields: [
          { name: 'approved', type: 'boolean', label: 'Approved?' },
          { name: 'channel', type: 'select', options: ['mail', 'phone'] },
          { name: 'amount', type: 'number' },
        ],
        outcomes: [{ value: 'done' }, { value: 'escalate' }],
      },
    },
    { id: 'check', type: 'wait', stage: 'intake', label: 'Check', until: 'true' },
    { id: 'route', type: 'decision', label: 'Route', outcomes: [{ id: 'yes', label: 'Yes', condition: 'true' }] },
    { id: 'refund', type: 'stage', label: 'Refund' },
    {
      id: 'pay',
      type: 'interactive',
      stage: 'refund',
      label: 'Pay out',
      assignee: { type: 'group', value: 'finance' },
      form: { fields: [{ name: 'paid_on', type: 'date' }], outcomes: [{ value: 'paid' }] },
    },
    { id: 'done', type: 'end' },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'intake' },
    { id: 'e2', source: 'intake', target: 'route' },
    { id: 'e3', source: 'route', target: 'refund', outcome: 'yes' },
    { id: 'e4', source: 'route', target: 'done', outcome: 'default' },
    { id: 'e5', source: 'refund', target: 'done' },
  ],
});
export const refundFlow = documentToFlow(refundDocument);
export const refundRecordTypes: RecordTypeFields[] = [
  {
    name: 'service_request',
    label: 'Service request',
    fields: [
      { name: 'kind', type: 'string', label: 'Kind', options: ['refund', 'exchange'] },
      { name: 'urgent', type: 'boolean' },
    ],
  },
];
