import { describe, expect, it } from 'vitest';

import { runQuery } from './api';
import { filtersFromParams, withFilter } from './run-filters';

describe('run filters in the URL', () => {
  it('reads every filter, the dates as a whole-day range', () => {
    const params = new URLSearchParams('version=2&status=error,suspended,bogus&stage=review&assignee=alice&from=2026-11-01&to=2026-11-25');
    expect(filtersFromParams(params, 'deal')).toEqual({
      orchestration: 'deal', version: 2, status: ['error', 'suspended'], stage: 'review', assignee: 'alice',
      started_after: '2026-11-01T00:00:00Z', started_before: '2026-11-26T00:00:00Z',
    });
    expect(filtersFromParams(new URLSearchParams('version=x&from=yesterday'))).toEqual({});
  });

  it('writes the API query and changes one filter at a time', () => {
    expect(runQuery({ orchestration: 'deal', status: ['error', 'in_progress'], stage: '' }, 'abc')).toBe('orchestration=deal&status=error%2Cin_progress&limit=50&cursor=abc');
    expect(withFilter(new URLSearchParams('stage=review&window=day'), 'stage', '').toString()).toBe('window=day');
  });
});
