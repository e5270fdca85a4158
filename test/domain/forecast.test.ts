import { describe, expect, it } from 'vitest';
import { forecastThreshold } from '../../src/domain/forecast.js';
import { toRegularGrid, type Series } from '../../src/domain/series.js';

const STEP = 15;

/** A series every 15 s from t = 0 to t = 900 (61 points), value = f(t). */
function seriesFrom(f: (t: number, i: number) => number, points = 61): Series {
  const times = Array.from({ length: points }, (_, i) => i * STEP);
  return { query: 'disk_used_ratio', labels: {}, times, values: times.map((t, i) => f(t, i)) };
}

/** Small deterministic noise in [-0.05, 0.05]. */
const wobble = (i: number): number => [0.05, -0.03, 0.01, -0.05, 0.02][i % 5] ?? 0;

describe('forecastThreshold', () => {
  it('when a line rises towards the threshold, then the eta is close to the analytic value and bounded', () => {
    // y = 10 + 0.01 t: at t = 900 it is 19; it reaches 25 after another 600 s.
    const series = seriesFrom((t, i) => 10 + 0.01 * t + wobble(i));

    const forecast = forecastThreshold(series, { value: 25, direction: 'above' });

    expect(forecast?.trend).toBe('rising');
    expect(forecast?.slopePerSecond).toBeCloseTo(0.01, 3);
    const eta = forecast?.secondsToThreshold ?? Number.NaN;
    expect(Math.abs(eta - 600) / 600).toBeLessThan(0.05);
    expect(forecast?.secondsToThresholdLow).toBeLessThanOrEqual(eta);
    expect(forecast?.secondsToThresholdHigh).toBeGreaterThanOrEqual(eta);
    expect(forecast?.summary).toMatch(/crosses 25 in about (9m 5\ds|10m|10m \ds)/);
    expect(forecast?.summary).toMatch(/\d+% chance within 1h/);
  });

  it('when the line is exact, then the eta is exact', () => {
    const series = seriesFrom((t) => 10 + 0.01 * t);

    const forecast = forecastThreshold(series, { value: 25, direction: 'above' });

    expect(forecast?.r2).toBe(1);
    expect(forecast?.secondsToThreshold).toBe(600);
  });

  it('when a flat series is noisy, then the trend is flat and the summary says not trending', () => {
    const series = seriesFrom((_t, i) => 50 + wobble(i) * 20);

    const forecast = forecastThreshold(series, { value: 80, direction: 'above' });

    expect(forecast?.trend).toBe('flat');
    expect(forecast?.summary).toContain('not trending');
    expect(forecast?.secondsToThreshold).toBeUndefined();
  });

  it('when there is no threshold, then the summary describes the trend alone', () => {
    const flat = forecastThreshold(
      seriesFrom((_t, i) => 50 + wobble(i) * 20),
      undefined,
    );
    const rising = forecastThreshold(
      seriesFrom((t) => 10 + 0.01 * t),
      undefined,
    );

    expect(flat?.summary).toBe('not trending');
    expect(rising?.summary).toBe('rising +0.6/min (r² 1)');
  });

  it('when the series is already past the threshold, then secondsToThreshold is 0', () => {
    const series = seriesFrom((t) => 10 + 0.01 * t);

    const forecast = forecastThreshold(series, { value: 15, direction: 'above' });

    expect(forecast?.secondsToThreshold).toBe(0);
    expect(forecast?.summary).toContain('already past the threshold 15');
  });

  it('when a series falls away from an above threshold, then there is no eta', () => {
    const series = seriesFrom((t, i) => 20 - 0.01 * t + wobble(i));

    const forecast = forecastThreshold(series, { value: 30, direction: 'above' });

    expect(forecast?.trend).toBe('falling');
    expect(forecast?.secondsToThreshold).toBeUndefined();
    expect(forecast?.summary).toContain('not trending towards the threshold 30');
  });

  it('when a series falls towards a below threshold, then the eta is computed', () => {
    // y = 20 - 0.01 t: 11 at t = 900, reaches 5 after another 600 s.
    const series = seriesFrom((t, i) => 20 - 0.01 * t + wobble(i));

    const forecast = forecastThreshold(series, { value: 5, direction: 'below' });

    expect(forecast?.trend).toBe('falling');
    const eta = forecast?.secondsToThreshold ?? Number.NaN;
    expect(Math.abs(eta - 600) / 600).toBeLessThan(0.05);
    expect(forecast?.secondsToThresholdLow).toBeLessThanOrEqual(eta);
    expect(forecast?.secondsToThresholdHigh).toBeGreaterThanOrEqual(eta);
  });

  it('when a series is already below a below threshold, then secondsToThreshold is 0', () => {
    const series = seriesFrom((t) => 20 - 0.01 * t);

    const forecast = forecastThreshold(series, { value: 12, direction: 'below' });

    expect(forecast?.secondsToThreshold).toBe(0);
  });

  it('when only the last part of the series is in the fit window, then only that part is fitted', () => {
    // Falling for an hour, then rising during the last 15 minutes.
    const times = Array.from({ length: 301 }, (_, i) => i * STEP);
    const values = times.map((t) => (t < 3600 ? 100 - 0.01 * t : 64 + 0.02 * (t - 3600)));
    const series: Series = { query: 'q', labels: {}, times, values };

    const forecast = forecastThreshold(series, { value: 100, direction: 'above' });

    expect(forecast?.trend).toBe('rising');
    expect(forecast?.slopePerSecond).toBeCloseTo(0.02, 6);
  });

  it('when fewer than 3 points are in the window, then there is no forecast', () => {
    const twoPoints = seriesFrom((t) => t, 2);
    const oldPoints: Series = {
      query: 'q',
      labels: {},
      times: [0, 15, 30, 2000, 2015],
      values: [1, 2, 3, 4, 5],
    };

    expect(forecastThreshold(twoPoints, { value: 10, direction: 'above' })).toBeUndefined();
    expect(forecastThreshold(oldPoints, { value: 10, direction: 'above' })).toBeUndefined();
    expect(
      forecastThreshold(
        seriesFrom(() => 0, 0),
        undefined,
      ),
    ).toBeUndefined();
  });

  it('when NaN values are in the window, then they are left out of the fit', () => {
    const series = seriesFrom((t, i) => (i % 7 === 3 ? Number.NaN : 10 + 0.01 * t));

    const forecast = forecastThreshold(series, { value: 25, direction: 'above' });

    expect(forecast?.secondsToThreshold).toBe(600);
  });
});

describe('failure probability', () => {
  it('when the series will cross well within the window, then the probability is near 1', () => {
    const forecast = forecastThreshold(
      seriesFrom((t, i) => 10 + 0.01 * t + wobble(i)),
      { value: 25, direction: 'above' },
    );
    expect(forecast?.probability).toBeGreaterThan(0.95);
    expect(forecast?.probabilityWindowSeconds).toBe(3600);
  });

  it('when a steady series sits far below the threshold, then the probability is near 0', () => {
    const forecast = forecastThreshold(
      seriesFrom((_, i) => 10 + wobble(i)),
      { value: 100, direction: 'above' },
    );
    expect(forecast?.secondsToThreshold).toBeUndefined();
    expect(forecast?.probability).toBeLessThan(0.01);
    expect(forecast?.summary).toMatch(/not trending towards the threshold 100 \(0% chance within 1h\)/);
  });
});

describe('toRegularGrid', () => {
  it('fills missing timestamps and non-finite values by linear interpolation', () => {
    expect(toRegularGrid([0, 15, 45, 60], [1, 2, 4, 5], 15)).toEqual([1, 2, 3, 4, 5]);
    expect(toRegularGrid([0, 15, 30], [1, Number.NaN, 3], 15)).toEqual([1, 2, 3]);
    expect(toRegularGrid([0, 15], [Number.NaN, Number.NaN], 15)).toEqual([]);
  });
});
