import { describe, expect, it } from 'vitest';
import {
  HorizonErrorTracker,
  LinearTrendForecaster,
  createDefaultEnsemble,
  forecasterTimeToThreshold,
  normalCdf,
  timeToThreshold,
} from '../../src/forecasting/index.js';
import { gaussianNoise } from './support.js';

/** A tracker around `forecaster`, fed `values`. */
function tracked(values: readonly number[], horizon = 10): HorizonErrorTracker {
  const tracker = new HorizonErrorTracker(createDefaultEnsemble({ horizon }), { horizon });
  for (const v of values) tracker.update(v);
  return tracker;
}

describe('normalCdf', () => {
  it('matches tabulated values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 4);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 5);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
  });
});

describe('timeToThreshold', () => {
  // y = 10 + 0.5 t, t = 0..199: the last value is 109.5; 150 is reached 81 steps later.
  const ramp = Array.from({ length: 200 }, (_, t) => 10 + 0.5 * t);

  it('on a clean ramp, the expected time matches the analytic one within 5 %', () => {
    const crossing = forecasterTimeToThreshold(tracked(ramp), {
      threshold: 150,
      direction: 'above',
      horizon: 100,
    });
    expect(Math.abs((crossing.expected ?? Number.NaN) - 81) / 81).toBeLessThan(0.05);
    expect(crossing.low).toBeLessThanOrEqual(crossing.expected ?? Number.NaN);
    expect(crossing.high).toBeGreaterThanOrEqual(crossing.expected ?? Number.NaN);
    expect(crossing.probability).toBeGreaterThan(0.99);
  });

  it('on a clean ramp, the probability is near 0 when the threshold is far beyond the horizon', () => {
    const crossing = forecasterTimeToThreshold(tracked(ramp), {
      threshold: 500,
      direction: 'above',
      horizon: 100,
    });
    expect(crossing.probability).toBeLessThan(0.01);
    expect(Math.abs((crossing.expected ?? Number.NaN) - 781) / 781).toBeLessThan(0.05);
  });

  it('a falling series never crosses an "above" threshold, and crosses a "below" one', () => {
    const falling = Array.from({ length: 200 }, (_, t) => 100 - 0.2 * t);
    const tracker = tracked(falling);
    const above = forecasterTimeToThreshold(tracker, { threshold: 70, direction: 'above', horizon: 500 });
    expect(above.expected).toBeUndefined();
    expect(above.low).toBeUndefined();
    expect(above.high).toBeUndefined();
    expect(above.probability).toBeLessThan(0.01);
    // Last value 60.2; 50 is 51 steps later.
    const below = forecasterTimeToThreshold(tracker, { threshold: 50, direction: 'below', horizon: 100 });
    expect(Math.abs((below.expected ?? Number.NaN) - 51) / 51).toBeLessThan(0.05);
    expect(below.probability).toBeGreaterThan(0.99);
  });

  it('a value already past the threshold crosses now, with probability 1', () => {
    const crossing = forecasterTimeToThreshold(tracked(ramp), {
      threshold: 100,
      direction: 'above',
      horizon: 10,
    });
    expect(crossing).toEqual({ expected: 0, low: 0, high: 0, probability: 1 });
  });

  it('on a noisy ramp, the interval brackets the expected time and the probability is graded', () => {
    const noise = gaussianNoise(3);
    const noisy = Array.from({ length: 600 }, (_, t) => 10 + 0.5 * t + 2 * noise());
    const tracker = tracked(noisy);
    expect(tracker.rmse).toBeGreaterThan(0);
    // The last value is about 309.5; 340 is about 61 steps ahead.
    const crossing = forecasterTimeToThreshold(tracker, { threshold: 340, direction: 'above', horizon: 61 });
    const expected = crossing.expected ?? Number.NaN;
    expect(Math.abs(expected - 61)).toBeLessThan(8);
    expect(crossing.low).toBeLessThan(expected);
    expect(crossing.high).toBeGreaterThan(expected);
    expect(crossing.probability).toBeGreaterThan(0.2);
    expect(crossing.probability).toBeLessThan(0.9);
    const sooner = forecasterTimeToThreshold(tracker, { threshold: 340, direction: 'above', horizon: 20 });
    const later = forecasterTimeToThreshold(tracker, { threshold: 340, direction: 'above', horizon: 120 });
    expect(sooner.probability).toBeLessThan(crossing.probability);
    expect(later.probability).toBeGreaterThan(0.95);
  });

  it('uses an error spread that grows with √k from the reference horizon', () => {
    // A flat path at 0, threshold 1: at step k the spread is √(k/4); the best step is the last.
    const crossing = timeToThreshold(() => 0, 0, {
      threshold: 1,
      direction: 'above',
      horizon: 16,
      errorSpread: 1,
      referenceHorizon: 4,
      maxSteps: 16,
    });
    expect(crossing.expected).toBeUndefined();
    expect(crossing.low).toBeCloseTo(4 / 1.96 ** 2, 0);
    expect(crossing.probability).toBeCloseTo(normalCdf(-1 / 2), 6);
  });

  it('works with any forecaster as the path, e.g. the plain linear fit', () => {
    const linear = new LinearTrendForecaster();
    for (const v of ramp) linear.update(v);
    const crossing = timeToThreshold((k) => linear.forecast(k), 109.5, {
      threshold: 150,
      direction: 'above',
      horizon: 100,
      errorSpread: 0,
      referenceHorizon: 10,
    });
    expect(crossing.expected).toBeCloseTo(81, 6);
    expect(crossing.probability).toBe(1);
  });
});
