import { describe, expect, it } from 'vitest';

import { runQuery } from './api';
import { ballText } from '../components/runs-list';
import { runSummarySchema } from './api-schemas';
import { assigneeChoices, filtersFromParams, stageChoices, withFilter } from './run-filters';

describe('run filters in the URL', () => {
  it('reads every filter, the dates as a whole-day range', () => {
    const params = new URLSearchParams(
      'version=2&status=error,suspended,bogus&stage=review&assignee=alice&from=2026-11-01&to=2026-11-25',
    );
    expect(filtersFromParams(params, 'deal')).toEqual({
      orchestration: 'deal',
      version: 2,
      status: ['error', 'suspended'],
      stage: 'review',
      assignee: 'alice',
      started_after: '2026-11-01T00:00:00Z',
      started_before: '2026-11-26T00:00:00Z',
    });
    expect(filtersFromParams(new URLSearchParams('version=x&from=yesterday'))).toEqual({});
  });

  it('writes the API query and changes one filter at a time', () => {
    expect(runQuery({ orchestration: 'deal', status: ['error', 'in_progress'], stage: '' }, 'abc')).toBe(
      'orchestration=deal&status=error%2Cin_progress&limit=50&cursor=abc',
    );
    expect(withFilter(new URLSearchParams('stage=review&window=day'), 'stage', '').toString()).toBe('window=day');
  });
});

const OPTIONS = {
  orchestrations: [
    {
      key: 'refund',
      label: 'Refund',
      stages: [
        { id: 'review', label: 'Review' },
        { id: 'pay', label: 'Payment' },
      ],
    },
    { key: 'deal', label: 'Contract approval', stages: [{ id: 'review', label: 'Legal review' }] },
  ],
  assignees: [
    { type: 'user', value: 'rita', name: 'Rita Ruiz' },
    { type: 'group', value: 'finance', name: 'Finance' },
  ],
};

describe('run filter pick lists', () => {
  it("offers the chosen orchestration's stages by label, or every stage with its orchestration", () => {
    expect(stageChoices(OPTIONS, 'refund', undefined)).toEqual([
      { value: 'review', label: 'Review' },
      { value: 'pay', label: 'Payment' },
    ]);
    expect(stageChoices(OPTIONS, undefined, undefined)).toEqual([
      { value: 'review', label: 'Review (Refund); Legal review (Contract approval)' },
      { value: 'pay', label: 'Payment (Refund)' },
    ]);
    // A stage from the URL that nothing offers stays pickable, so the select can show it.
    expect(stageChoices(OPTIONS, 'deal', 'gone')).toEqual([
      { value: 'review', label: 'Legal review' },
      { value: 'gone', label: 'gone' },
    ]);
    expect(stageChoices(null, undefined, undefined)).toEqual([]);
  });

  it('offers assignees by display name, groups marked as such', () => {
    expect(assigneeChoices(OPTIONS, undefined)).toEqual([
      { value: 'rita', label: 'Rita Ruiz' },
      { value: 'finance', label: 'Finance (group)' },
    ]);
    expect(assigneeChoices(OPTIONS, 'zed').at(-1)).toEqual({ value: 'zed', label: 'zed' });
  });

  it('names who holds the ball', () => {
    const run = runSummarySchema.parse({
      id: 'r1',
      orchestration: 'refund',
      version: 1,
      status: 'in_progress',
      current_node: 'review',
      started_by: 'rita',
      started_at: '2026-01-01T00:00:00Z',
      ended_at: null,
      record: null,
      error: null,
      ball: [
        { type: 'group', value: 'finance', name: 'Finance' },
        { type: 'user', value: 'u7', name: 'Rita Ruiz', claimed_by: 'u7', claimed_by_name: 'Rita Ruiz' },
      ],
    });
    expect(ballText(run)).toBe('group Finance, Rita Ruiz (claimed)');
    const working = runSummarySchema.parse({
      ...run,
      ball: [{ type: 'system', value: 'record.update', step: 'mark_signed', name: 'Mark contract signed' }],
    });
    expect(ballText(working)).toBe('the system (Mark contract signed)');
  });
});
