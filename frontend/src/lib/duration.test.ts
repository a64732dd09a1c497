import { describe, expect, it } from 'vitest';

import { describeDuration, formatDuration, isDuration, parseDuration } from './duration';

describe('durations', () => {
  it.each([
    ['P2D', { amount: 2, unit: 'days' }],
    ['PT4H', { amount: 4, unit: 'hours' }],
    ['PT30M', { amount: 30, unit: 'minutes' }],
    ['PT0S', { amount: 0, unit: 'seconds' }],
    ['P1M', { amount: 1, unit: 'months' }],
    ['P1W', { amount: 1, unit: 'weeks' }],
    ['P3Y', { amount: 3, unit: 'years' }],
  ] as const)('reads %s as a number and a unit, and writes it back', (text, simple) => {
    expect(parseDuration(text)).toEqual(simple);
    expect(formatDuration(simple)).toBe(text);
  });

  it('tells months (P1M) from minutes (PT1M)', () => {
    expect(parseDuration('P1M')?.unit).toBe('months');
    expect(parseDuration('PT1M')?.unit).toBe('minutes');
  });

  it.each(['', 'P', 'PT', 'P1DT2H', 'P1.5D', '2 days', 'p2d', 'PT1D', 'P2H'])(
    'has no number-and-unit form for %j',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );

  it('knows an ISO-8601 duration with several parts', () => {
    expect(isDuration('P1DT12H')).toBe(true);
    expect(isDuration('PT1.5S')).toBe(true);
    expect(isDuration('P')).toBe(false);
    expect(isDuration('PT')).toBe(false);
    expect(isDuration('2d')).toBe(false);
  });

  it('writes whole, non-negative amounts', () => {
    expect(formatDuration({ amount: 2.7, unit: 'days' })).toBe('P2D');
    expect(formatDuration({ amount: -1, unit: 'hours' })).toBe('PT0H');
  });

  it('describes a duration in words', () => {
    expect(describeDuration('P2D')).toBe('2 days');
    expect(describeDuration('PT1H')).toBe('1 hour');
    expect(describeDuration('P1DT2H')).toBe('P1DT2H');
  });
});
