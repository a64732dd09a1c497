import { describe, expect, it } from 'vitest';

import { namesFrom } from './use-people';

describe('namesFrom', () => {
  it('reads a user by display name, a group or queue by label, and keeps an unknown id', () => {
    const nameOf = namesFrom(
      [{ username: 'alice', display_name: 'Alice Legal' }],
      [
        { name: 'legal', kind: 'group', label: 'Legal' },
        { name: 'intake', kind: 'queue', label: 'Intake' },
        { name: 'ops', kind: 'group', label: null },
      ],
    );
    expect(nameOf('user', 'alice')).toBe('Alice Legal');
    expect(nameOf('group', 'legal')).toBe('Legal');
    expect(nameOf('queue', 'intake')).toBe('Intake');
    expect(nameOf('group', 'intake')).toBe('intake'); // a queue is not a group of the same name
    expect(nameOf('group', 'ops')).toBe('ops');
    expect(nameOf('user', 'gone')).toBe('gone');
  });
});
