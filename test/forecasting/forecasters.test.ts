import { describe, expect, it } from 'vitest';
import {
  DampedTrendForecaster,
  EnsembleForecaster,
  HorizonErrorTracker,
  LinearTrendForecaster,
  NaiveForecaster,
  RollingMedianForecaster,
  SeasonalChangeForecaster,
  SimpleSmoothingForecaster,
  createDefaultEnsemble,
  evaluateSeries,
  type Forecaster,
} from '../../src/forecasting/index.js';
import { gaussianNoise } from './support.js';

function feed<F extends Forecaster>(forecaster: F, values: readonly number[]): F {
  for (const v of values) forecaster.update(v);
  return forecaster;
}

const ramp = (n: number, intercept = 3, slope = 0.5): number[] =>
  Array.from({ length: n }, (_, i) => intercept + slope * i);

describe('NaiveForecaster', () => {
  it('forecasts the last value at every horizon, NaN before any value', () => {
    const naive = new NaiveForecaster();
    expect(naive.forecast(1)).toBeNaN();
    feed(naive, [4, 8, 15, 16, 23, 42]);
    expect([1, 5, 10, 100].map((h) => naive.forecast(h))).toEqual([42, 42, 42, 42]);
  });
});

describe('LinearTrendForecaster', () => {
  it('recovers the slope and intercept of an exact line over its window', () => {
    // y = 3 + 0.5 i for i = 0..49; the window holds i = 20..49, so at its x = 0 the line is 13.
    const linear = feed(new LinearTrendForecaster({ window: 30 }), ramp(50));
    const fit = linear.fit();
    expect(fit.slope).toBeCloseTo(0.5, 10);
    expect(fit.intercept).toBeCloseTo(13, 10);
    expect(fit.points).toBe(30);
    expect(linear.forecast(10)).toBeCloseTo(3 + 0.5 * 59, 9);
  });

  it('fits the values it has before the window is full, and the last value with one', () => {
    const linear = new LinearTrendForecaster({ window: 30 });
    linear.update(7);
    expect(linear.forecast(5)).toBe(7);
    feed(linear, [9, 11, 13]);
    expect(linear.forecast(2)).toBeCloseTo(17, 10);
  });
});

describe('SimpleSmoothingForecaster', () => {
  it('is an exponentially weighted mean: a constant stays put, a step is approached geometrically', () => {
    const ses = feed(new SimpleSmoothingForecaster({ alpha: 0.5 }), [10, 10, 10]);
    expect(ses.forecast(3)).toBe(10);
    feed(ses, [20, 20]);
    expect(ses.forecast(1)).toBeCloseTo(17.5, 12);
  });
});

describe('DampedTrendForecaster', () => {
  it('on a ramp, its forecasts flatten out towards level + φ/(1−φ)·trend as the horizon grows', () => {
    const damped = feed(new DampedTrendForecaster({ alpha: 0.5, beta: 0.2, phi: 0.8 }), ramp(400));
    const { level, trend } = damped.state;
    expect(trend).toBeGreaterThan(0);
    const limit = level + (0.8 / 0.2) * trend;
    expect(damped.forecast(200)).toBeCloseTo(limit, 8);
    expect(Math.abs(damped.forecast(50) - limit)).toBeLessThan(1e-4);
    const step = (h: number): number => damped.forecast(h + 1) - damped.forecast(h);
    expect(step(1)).toBeGreaterThan(step(5));
    expect(step(5)).toBeGreaterThan(step(20));
  });

  it('its state settles on a ramp: the trend converges to its fixed point β·s/(1 − (1−β)·φ)', () => {
    const damped = feed(new DampedTrendForecaster({ alpha: 0.3, beta: 0.05, phi: 0.9 }), ramp(2000, 0, 1));
    expect(damped.state.trend).toBeCloseTo(0.05 / (1 - 0.95 * 0.9), 6);
  });

  it('with φ = 1 it is Holt’s linear trend, exact on a clean ramp once settled', () => {
    const holt = feed(new DampedTrendForecaster({ alpha: 0.5, beta: 0.5, phi: 1 }), ramp(500));
    expect(holt.forecast(10)).toBeCloseTo(3 + 0.5 * 509, 6);
  });
});

describe('RollingMedianForecaster', () => {
  it('ignores an isolated spike and matches a brute-force median over its window', () => {
    const median = feed(new RollingMedianForecaster({ window: 5 }), [1, 2, 100, 3, 4]);
    expect(median.forecast(1)).toBe(3);
    const noise = gaussianNoise(7);
    const values = Array.from({ length: 300 }, () => Math.round(noise() * 10));
    const rolling = new RollingMedianForecaster({ window: 6 });
    values.forEach((v, i) => {
      rolling.update(v);
      const window = values.slice(Math.max(0, i - 5), i + 1).sort((a, b) => a - b);
      const m = window.length >> 1;
      const expected = window.length % 2 === 1 ? window[m] : ((window[m - 1] ?? 0) + (window[m] ?? 0)) / 2;
      expect(rolling.forecast(1)).toBe(expected);
    });
  });
});

describe('SeasonalChangeForecaster', () => {
  it('after one cycle, follows a repeating shape shifted to the current level', () => {
    const shape = (i: number): number => [0, 1, 4, 9, 4, 1][i % 6] ?? 0;
    const seasonal = new SeasonalChangeForecaster({ period: 6 });
    expect(seasonal.forecast(1)).toBeNaN();
    for (let i = 0; i < 20; i++) seasonal.update(shape(i) + (i >= 12 ? 50 : 0));
    // Last value i = 19 (shape 1, shifted by 50): i = 21 has shape 9.
    expect(seasonal.forecast(2)).toBe(59);
    expect(seasonal.forecast(5)).toBe(50);
  });
});

describe('HorizonErrorTracker', () => {
  it('scores each forecast when its outcome arrives: naive on a ramp is off by slope × horizon', () => {
    const tracker = feed(new HorizonErrorTracker(new NaiveForecaster(), { horizon: 10 }), ramp(100));
    expect(tracker.errors).toBe(90);
    expect(tracker.mae).toBeCloseTo(5, 10);
    expect(tracker.rmse).toBeCloseTo(5, 10);
    expect(tracker.bias).toBeCloseTo(5, 10);
    expect(tracker.lastValue).toBe(3 + 0.5 * 99);
  });
});

describe('EnsembleForecaster', () => {
  it('weights sum to 1, and the member with the least recent error takes nearly all the weight', () => {
    const ensemble = feed(
      new EnsembleForecaster([new NaiveForecaster(), new LinearTrendForecaster()], { horizon: 5 }),
      ramp(80),
    );
    const weights = ensemble.weights();
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // The line is exact on a ramp once it has two values; naive is always off by 2.5.
    expect(weights[1]).toBeGreaterThan(0.999);
    expect(ensemble.forecast(5)).toBeCloseTo(3 + 0.5 * 84, 2);
  });

  it('weights members equally until errors are known; a member perfect so far takes all the weight', () => {
    const zero: Forecaster = { name: 'zero', update: () => undefined, forecast: () => 0 };
    const ensemble = new EnsembleForecaster([new NaiveForecaster(), zero], { horizon: 3 });
    feed(ensemble, [5, 5, 5]);
    expect(ensemble.weights()).toEqual([0.5, 0.5]);
    expect(ensemble.forecast(3)).toBe(2.5);
    feed(ensemble, [5]);
    expect(ensemble.weights()).toEqual([1, 0]);
    expect(ensemble.forecast(3)).toBe(5);
  });

  it('on a noisy level, the default ensemble clearly beats the naive forecast (MASE < 0.9)', () => {
    const noise = gaussianNoise(42);
    const values = Array.from({ length: 3000 }, (_, i) => 50 + 5 * noise() + (i > 1500 ? 10 : 0));
    const result = evaluateSeries('noisy', values, [
      { name: 'ensemble', create: () => createDefaultEnsemble({ horizon: 10 }) },
    ]);
    const mase = result.methods['ensemble']?.mase ?? Number.NaN;
    expect(mase).toBeLessThan(0.9);
    expect(mase).toBeGreaterThan(0.5);
  });

  it('on a clean linear ramp, the default ensemble beats the naive forecast too', () => {
    const result = evaluateSeries('ramp', ramp(1000, 10, 0.25), [
      { name: 'ensemble', create: () => createDefaultEnsemble({ horizon: 10 }) },
    ]);
    expect(result.methods['ensemble']?.mase).toBeLessThan(0.1);
  });
});
