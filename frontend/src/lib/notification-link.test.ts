import { describe, expect, it } from 'vitest';

import { itemPath, notificationLink, recordPath } from './notification-link';
import { notificationSchema } from './work-schemas';

const note = (fields: Record<string, unknown>) =>
  notificationSchema.parse({
    id: 'n1',
    kind: 'assignment',
    subject: 'New work: Review',
    body: 'Contract approval: Review',
    run_id: null,
    work_item_id: null,
    created_at: '2026-01-01T00:00:00Z',
    ...fields,
  });

describe('notificationLink', () => {
  it('opens the work item itself, with a record or without', () => {
    expect(
      notificationLink(note({ run_id: 'r1', work_item_id: 'w 1', record: { object: 'contract', id: 'c1' } })),
    ).toEqual({ to: '/work/w%201', label: 'Open step' });
    expect(notificationLink(note({ run_id: 'r1', work_item_id: 'w1', record: null }))).toEqual({
      to: '/work/w1',
      label: 'Open step',
    });
  });

  it('leads to the record the run concerns when there is no work item, else to the run', () => {
    expect(
      notificationLink(
        note({ kind: 'escalation', run_id: 'r1', record: { object: 'contract', id: 'c 1' }, record_name: 'Acme MSA' }),
      ),
    ).toEqual({ to: '/records/contract/c%201', label: 'Open Acme MSA' });
    // Never the record type's id ("Open service_request"): a record without a name is "record".
    expect(
      notificationLink(note({ kind: 'escalation', run_id: 'r1', record: { object: 'service_request', id: 'c1' } })),
    ).toEqual({ to: '/records/service_request/c1', label: 'Open record' });
    expect(notificationLink(note({ run_id: 'r1' }))).toEqual({ to: '/runs/r1', label: 'Open run' });
  });

  it('leads nowhere for a message about nothing in particular', () => {
    expect(notificationLink(note({ kind: 'message' }))).toBeNull();
  });

  it('rejects a record that is not an object and id', () => {
    expect(() => note({ record: { object: 'contract' } })).toThrow();
  });

  it('spells record paths as the router expects', () => {
    expect(recordPath('contract', 'abc')).toBe('/records/contract/abc');
    expect(itemPath('a/b')).toBe('/work/a%2Fb');
  });
});
