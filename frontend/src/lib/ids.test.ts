import { describe, expect, it } from 'vitest';

import { identifier, idFollowsLabel, idFromLabel, isOrchestrationKey, keyFromLabel, uniqueId } from './ids';

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

describe('node ids from labels', () => {
  it('reads as the label does', () => {
    expect(idFromLabel('Check pricing')).toBe('check_pricing');
    expect(idFromLabel('Finance approved?')).toBe('finance_approved');
    expect(idFromLabel('Réviser le contrat')).toBe('reviser_le_contrat');
    expect(idFromLabel('2nd review')).toBe('_2nd_review');
    expect(idFromLabel('???', 'decision')).toBe('decision');
  });

  it("follows the label only while it still is the label's", () => {
    expect(idFollowsLabel('new_task', 'New task')).toBe(true);
    expect(idFollowsLabel('new_task_3', 'New task')).toBe(true);
    expect(idFollowsLabel('legal', 'Legal review')).toBe(false); // chosen by hand: kept
  });
});
