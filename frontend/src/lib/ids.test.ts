import { describe, expect, it } from 'vitest';

import { identifier, isOrchestrationKey, keyFromLabel, uniqueId } from './ids';

describe('ids', () => {
  it('makes an orchestration key from a label', () => {
    expect(keyFromLabel('Contract approval')).toBe('contract_approval');
    expect(keyFromLabel('  Über-Prüfung 2026! ')).toBe('uber_prufung_2026');
    expect(keyFromLabel('2026 budget')).toBe('o_2026_budget');
    expect(keyFromLabel('!!!')).toBe('orchestration');
    expect(keyFromLabel('x'.repeat(100))).toHaveLength(64);
    expect(isOrchestrationKey(keyFromLabel('Any label at all'))).toBe(true);
    expect(isOrchestrationKey('Contract')).toBe(false);
  });

  it('makes identifiers and unique ids', () => {
    expect(identifier('a b')).toBe('a_b');
    expect(uniqueId('field_1', new Set(['field_1', 'field_2']))).toBe('field_3');
  });
});
