import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { commaList, durationMs } from '../../src/domain/schemas.js';

describe('configuration schemas', () => {
  it('reads durations as milliseconds, with a default, and refuses anything else', () => {
    expect(durationMs('5m').parse(undefined)).toBe(300_000);
    expect(durationMs('5m').parse('1h30m')).toBe(5_400_000);
    expect(durationMs('5m').safeParse('soon').success).toBe(false);
  });

  it('reads comma lists trimmed, without empty items', () => {
    expect(commaList().parse(' a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(commaList('x,y').parse(undefined)).toEqual(['x', 'y']);
  });
});

describe('loadSettings', () => {
  it('has sensible defaults', () => {
    const s = loadSettings({});
    expect(s.api).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(s.correlationLabels).toEqual(['alertname', 'service|job', 'namespace']);
    expect(s.seasonalOffsetsMs).toEqual([86_400_000, 172_800_000, 604_800_000]);
    expect(s.debounceMs).toBe(5000);
    expect(s.watchIntervalMs).toBe(60_000);
  });

  it('names every bad variable in one clear error', () => {
    expect(() =>
      loadSettings({
        STEADFAST_API_PORT: 'eighty',
        STEADFAST_DEBOUNCE: 'soon',
        STEADFAST_SEASONAL_OFFSETS: '1d,later',
      }),
    ).toThrow(
      /STEADFAST_API_PORT[\s\S]*STEADFAST_DEBOUNCE: a duration[\s\S]*STEADFAST_SEASONAL_OFFSETS: durations/,
    );
  });
});
