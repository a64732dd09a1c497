import { describe, expect, it } from 'vitest';

import { moved } from '../components/admin/deactivate-dialog';
import { triggerWhen } from '../components/admin/record-types-tab';
import { assigneeFromChoice, deactivationSchema, displayNames, fieldErrors, itemCount } from './admin-schemas';

describe('fieldErrors', () => {
  it('reads marshmallow messages, nested ones under their outer field, and ignores the rest', () => {
    expect(
      fieldErrors({ username: ['taken'], groups: ['a', 'b'], reassign_to: { value: ['no such person'] }, n: 3 }),
    ).toEqual({ username: 'taken', groups: 'a; b', reassign_to: 'no such person' });
    expect(fieldErrors(undefined)).toEqual({});
    expect(fieldErrors(['not', 'fields'])).toEqual({});
  });
});

describe('deactivation helpers', () => {
  it('turns a choice into an assignee', () => {
    expect(assigneeFromChoice('user:frank')).toEqual({ type: 'user', value: 'frank' });
    expect(assigneeFromChoice('queue:warehouse')).toEqual({ type: 'queue', value: 'warehouse' });
    expect(assigneeFromChoice('')).toBeNull();
    expect(assigneeFromChoice('team:x')).toBeNull();
  });

  it('says what moved', () => {
    const base = deactivationSchema.parse({
      username: 'f',
      role: 'member',
      display_name: 'F',
      active: false,
      groups: [],
      open_items: { assigned: 0, claimed: 0 },
      released: 0,
      reassigned: 0,
    });
    expect(moved(base, 'Frank')).toBe('They had no open items; nothing moved.');
    expect(moved({ ...base, released: 2, reassigned: 1 }, 'Frank')).toBe(
      '2 items went back to their group or queue; 1 item went to Frank.',
    );
    expect(itemCount(1)).toBe('1 open item');
  });

  it('refuses an answer without the counts', () => {
    expect(
      deactivationSchema.safeParse({ username: 'f', role: 'member', display_name: 'F', active: false, groups: [] })
        .success,
    ).toBe(false);
  });
});

describe('names', () => {
  it('shows display names, the user name when unknown', () => {
    const people = [{ username: 'fiona', role: 'member' as const, display_name: 'Fiona', active: true, groups: [] }];
    expect(displayNames(['fiona', 'ghost'], people)).toEqual(['Fiona', 'ghost']);
  });

  it('says when a record type starts an orchestration', () => {
    expect(triggerWhen(['create'], null)).toBe('on create');
    expect(triggerWhen([], 'record.x')).toBe('on every save, when record.x');
  });
});
