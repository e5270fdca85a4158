import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/domain/duration.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['1m500ms', 60_500],
  ])('when given %s, then it returns %d milliseconds', (text, expected) => {
    const ms = parseDuration(text);

    expect(ms).toBe(expected);
  });

  it.each(['', '5', 'm', '5 m', ' 5m', '-5m', '5w', '5m ', 'five minutes', '1h-30m'])(
    'when given the malformed duration %j, then it returns undefined',
    (text) => {
      const ms = parseDuration(text);

      expect(ms).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [0, '0ms'],
    [42_000, '42s'],
    [60_000, '1m'],
    [90_000, '1m 30s'],
    [3_600_000, '1h'],
    [3_900_000, '1h 5m'],
    [3_930_000, '1h 5m'],
    [86_400_000 + 3_600_000 + 60_000 + 1000, '1d 1h'],
  ])('when given %d ms, then it shows at most two units as %j', (ms, expected) => {
    const text = formatDuration(ms);

    expect(text).toBe(expected);
  });

  it('when the duration has days and seconds only, then the seconds are left out', () => {
    const text = formatDuration(86_400_000 + 30_000);

    expect(text).toBe('1d');
  });

  it('when the duration is infinite or NaN, then it reads "never"', () => {
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('never');
    expect(formatDuration(Number.NaN)).toBe('never');
  });

  it('when a parsed duration is formatted, then it reads like the original', () => {
    const ms = parseDuration('1h30m');

    expect(formatDuration(ms ?? 0)).toBe('1h 30m');
  });
});
