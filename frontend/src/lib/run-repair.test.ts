import { describe, expect, it } from 'vitest';

import { changedValues, problemLines, retryNotice, typedValue } from './run-repair';

describe('retryNotice', () => {
  it('says the retry failed again with the new error instead of "done"', () => {
    expect(
      retryNotice('Retry', { result: 'failed', status: 'error', error: { message: 'amount 0 is not positive' } }),
    ).toBe('Retry: failed again — amount 0 is not positive');
  });
  it('says when the run completed or runs again', () => {
    expect(retryNotice('Retry', { result: 'completed', status: 'completed', error: null })).toBe(
      'Retry: the run completed.',
    );
    expect(retryNotice('Skip', { result: 'running', status: 'in_progress', error: null })).toBe(
      'Skip: the run is running again (in progress).',
    );
  });
});

describe('typed values', () => {
  it('reads JSON where it is JSON, text otherwise, and empty as null', () => {
    expect(typedValue('40')).toBe(40);
    expect(typedValue('{"priority": "high"}')).toEqual({ priority: 'high' });
    expect(typedValue('ticket')).toBe('ticket');
    expect(typedValue('  ')).toBeNull();
  });
  it('sends only the rows a person touched', () => {
    expect(changedValues({ id: '7', object: 'ticket' }, new Set(['object']))).toEqual({ object: 'ticket' });
  });
  it('lists the problems of a 422 by name', () => {
    expect(problemLines({ inputs: { id: 'must be a string' } })).toEqual(['id: must be a string']);
    expect(problemLines(null)).toEqual([]);
  });
});
