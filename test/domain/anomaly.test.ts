import { describe, expect, it } from 'vitest';
import { scoreAnomaly, type AnomalyOptions } from '../../src/domain/anomaly.js';
import type { Series } from '../../src/domain/series.js';

const STEP = 15;
/** Deterministic noise: -2, -1, 0, 1, 2, -2, ... */
const noise = (i: number): number => (i % 5) - 2;

/** A series sampled every 15 seconds, starting at t = 0. */
function seriesOf(values: number[], name = 'http_requests_in_flight'): Series {
  return {
    query: `${name}{job="api"}`,
    labels: { __name__: name, job: 'api' },
    times: values.map((_, i) => i * STEP),
    values,
  };
}

/** `n` noisy points around `level`. */
function around(level: number, n: number, offset = 0): number[] {
  return Array.from({ length: n }, (_, i) => level + noise(i + offset));
}

const OPTIONS: AnomalyOptions = { recentSeconds: 300, minBaselinePoints: 8 };

describe('scoreAnomaly', () => {
  it('when a noisy flat baseline is followed by a jump, then the score is high and the reason gives value and range', () => {
    // 55 minutes around 100, then the last 5 minutes (20 points) at 200.
    const series = seriesOf([...around(100, 220), ...Array<number>(20).fill(200)]);

    const finding = scoreAnomaly(series, OPTIONS);

    expect(finding).toBeDefined();
    expect(finding?.score).toBeGreaterThan(0.9);
    expect(finding?.robustZ).toBeGreaterThan(0);
    expect(finding?.current).toBe(200);
    expect(finding?.usualLow).toBe(98);
    expect(finding?.usualHigh).toBe(102);
    expect(finding?.reason).toContain('http_requests_in_flight 200');
    expect(finding?.reason).toContain('usual 98–102');
    expect(finding?.reason).toContain('above the median');
  });

  it('when the series drops, then the reason says below the median', () => {
    const series = seriesOf([...around(100, 220), ...Array<number>(20).fill(10)]);

    const finding = scoreAnomaly(series, OPTIONS);

    expect(finding?.score).toBeGreaterThan(0.9);
    expect(finding?.robustZ).toBeLessThan(0);
    expect(finding?.reason).toContain('below the median');
  });

  it('when the series has no __name__ label, then the reason names the query', () => {
    const series: Series = { ...seriesOf([...around(100, 220), ...Array<number>(20).fill(200)]), labels: {} };

    const finding = scoreAnomaly(series, OPTIONS);

    expect(finding?.reason.startsWith('http_requests_in_flight{job="api"} 200')).toBe(true);
  });

  it('when the series does not change, then the score is low', () => {
    const series = seriesOf(around(100, 240));

    const finding = scoreAnomaly(series, OPTIONS);

    expect(finding).toBeDefined();
    expect(finding?.score).toBeLessThan(0.5);
    expect(Math.abs(finding?.robustZ ?? Number.NaN)).toBeLessThan(1);
  });

  it('when the baseline is perfectly flat, then one small wobble does not score as infinite', () => {
    const series = seriesOf([...Array<number>(220).fill(100), ...Array<number>(20).fill(100.5)]);

    const finding = scoreAnomaly(series, OPTIONS);

    expect(finding).toBeDefined();
    expect(Number.isFinite(finding?.robustZ)).toBe(true);
    expect(finding?.score).toBeLessThan(0.5);
  });

  it('when there are fewer baseline points than required, then there is no finding', () => {
    // 7 baseline points (t <= end - 300) and 20 recent ones.
    const series = seriesOf([...around(100, 7), ...Array<number>(20).fill(200)]);

    const finding = scoreAnomaly(series, OPTIONS);

    expect(finding).toBeUndefined();
  });

  it('when there is exactly the minimum of baseline points, then there is a finding', () => {
    const series = seriesOf([...around(100, 8), ...Array<number>(20).fill(200)]);

    const finding = scoreAnomaly(series, OPTIONS);

    expect(finding).toBeDefined();
  });

  it('when the series is empty, then there is no finding', () => {
    const finding = scoreAnomaly(seriesOf([]), OPTIONS);

    expect(finding).toBeUndefined();
  });

  it('when startedAt marks the start of a long anomaly, then the anomaly is kept out of the baseline', () => {
    // 20 minutes around 100, then 40 minutes around 200: most of the default baseline is the anomaly.
    const values = [...around(100, 80), ...around(200, 160, 80)];
    const series = seriesOf(values);
    const startedAt = 80 * STEP;

    const without = scoreAnomaly(series, OPTIONS);
    const withStart = scoreAnomaly(series, { ...OPTIONS, startedAt });

    expect(without?.score).toBeLessThan(0.5);
    expect(withStart?.score).toBeGreaterThan(0.9);
    expect(withStart?.usualHigh).toBeLessThanOrEqual(102);
    expect(withStart?.current).toBeCloseTo(200, 0);
  });

  it('when startedAt is later than the recent window, then the recent window still covers recentSeconds', () => {
    const series = seriesOf([...around(100, 220), ...Array<number>(20).fill(200)]);
    const end = series.times.at(-1) ?? 0;

    const finding = scoreAnomaly(series, { ...OPTIONS, startedAt: end - 30 });

    expect(finding?.current).toBe(200);
    expect(finding?.score).toBeGreaterThan(0.9);
  });

  it('when values are NaN or infinite, then they are ignored', () => {
    const values = [...around(100, 220), ...Array<number>(20).fill(200)];
    values[3] = Number.NaN;
    values[50] = Number.POSITIVE_INFINITY;
    values[225] = Number.NaN;
    values[230] = Number.NEGATIVE_INFINITY;
    const series = seriesOf(values);

    const finding = scoreAnomaly(series, OPTIONS);

    expect(finding?.current).toBe(200);
    expect(finding?.usualLow).toBe(98);
    expect(finding?.usualHigh).toBe(102);
    expect(Number.isFinite(finding?.robustZ)).toBe(true);
    expect(finding?.score).toBeGreaterThan(0.9);
  });

  it('when every recent value is NaN, then there is no finding', () => {
    const series = seriesOf([...around(100, 220), ...Array<number>(20).fill(Number.NaN)]);

    const finding = scoreAnomaly(series, OPTIONS);

    expect(finding).toBeUndefined();
  });
});

describe('scoreAnomaly with a seasonal baseline', () => {
  it('when previous days at this hour are known, then they are the baseline and the reason says so', () => {
    // Today runs at 160 all window long: against its own past that is normal, against previous days it is not.
    const today = seriesOf(around(160, 60));
    const seasonal = { values: [...around(100, 60), ...around(101, 60, 3)], days: 2 };

    const finding = scoreAnomaly(today, { ...OPTIONS, seasonal });

    expect(finding?.baseline).toBe('seasonal');
    expect(finding?.reason).toContain('at this hour (same time on the previous 2 days)');
    expect(finding?.reason).toContain('http_requests_in_flight 160 vs. a usual 98–103');
    expect(finding?.score).toBeGreaterThan(0.5);
  });

  it('when there is too little of previous days, then the window before the alert is the baseline', () => {
    const series = seriesOf([...around(100, 220), ...Array<number>(20).fill(200)]);

    const finding = scoreAnomaly(series, { ...OPTIONS, seasonal: { values: [100, 101], days: 1 } });

    expect(finding?.baseline).toBe('recent');
    expect(finding?.reason).toContain('over the previous 54m 45s');
  });

  it('when history is short, then only the robust z can score', () => {
    const short = scoreAnomaly(seriesOf([...around(100, 30), ...Array<number>(20).fill(200)]), OPTIONS);

    expect(short?.method).toBe('robust-z');
    expect(short?.score).toBeGreaterThan(0.9);
  });

  it('when the shape changes but the level stays in range, then the detector sees what the robust z cannot', () => {
    // A steady alternation 90/110 turns into a flat line at 100: the median does not move at all.
    const alternating = Array.from({ length: 220 }, (_, i) => (i % 2 === 0 ? 90 : 110));
    const finding = scoreAnomaly(seriesOf([...alternating, ...Array<number>(20).fill(100)]), OPTIONS);

    expect(Math.abs(finding?.robustZ ?? Number.NaN)).toBeLessThan(1);
    expect(finding?.method).toBe('detector');
    expect(finding?.score).toBeGreaterThan(0.3);
  });
});
