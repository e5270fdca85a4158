import { EnsembleForecaster, type EnsembleOptions } from './ensemble.js';
import type { MethodSpec } from './evaluate.js';
import { LinearTrendForecaster } from './linear.js';
import { RollingMedianForecaster } from './median.js';
import { NaiveForecaster } from './naive.js';
import { SeasonalChangeForecaster } from './seasonal.js';
import { DampedTrendForecaster, SimpleSmoothingForecaster } from './smoothing.js';
import type { Forecaster } from './types.js';

export interface DefaultEnsembleOptions extends Partial<EnsembleOptions> {
  /**
   * Steps in one seasonal cycle (e.g. a day); adds the "like one cycle ago" members.
   * Absent, or under 2 steps: no seasonal members.
   */
  seasonPeriod?: number;
}

/** The default ensemble's weighting: selective (power 16) on a 200-step error half-life. */
export const DEFAULT_ENSEMBLE_WEIGHTING: EnsembleOptions = { horizon: 10, halfLife: 200, power: 16 };

/**
 * The default ensemble's members. The same for every series; the weighting picks among them online.
 * - naive (a random walk is often hard to beat),
 * - simple exponential smoothing at α = 0.05, 0.1, 0.2, 0.4 (means over ~40 to ~4 steps: noise),
 * - rolling medians over 5, 11, 21, 41 values (the same scales, robust to spikes and skew),
 * - Holt with a damped trend, a slow (α 0.3, β 0.05) and a quick (α 0.6, β 0.1) one (drifts),
 * - the straight line over the last 30 values (clean ramps, e.g. a disk filling up: the damped
 *   trends flatten out and would never reach a far threshold; the line does),
 * - with a season period P: the level plus the change one cycle ago, from the raw values and from a
 *   smoothed level averaged over 3 cycles (daily shapes).
 */
export function defaultEnsembleMembers(seasonPeriod?: number): Forecaster[] {
  const members: Forecaster[] = [
    new NaiveForecaster(),
    ...[0.05, 0.1, 0.2, 0.4].map((alpha) => new SimpleSmoothingForecaster({ alpha })),
    ...[5, 11, 21, 41].map((window) => new RollingMedianForecaster({ window })),
    new DampedTrendForecaster({ alpha: 0.3, beta: 0.05, phi: 0.9 }),
    new DampedTrendForecaster({ alpha: 0.6, beta: 0.1, phi: 0.9 }),
    new LinearTrendForecaster({ window: 30 }),
  ];
  if (seasonPeriod !== undefined && seasonPeriod >= 2) {
    const period = Math.round(seasonPeriod);
    members.push(
      new SeasonalChangeForecaster({ period }),
      new SeasonalChangeForecaster({ period, alpha: 0.3, cycles: 3 }),
    );
  }
  return members;
}

/** The recommended forecaster: the default members, weighted by their recent errors at `horizon`. */
export function createDefaultEnsemble(options: DefaultEnsembleOptions = {}): EnsembleForecaster {
  const { seasonPeriod, ...weighting } = options;
  return new EnsembleForecaster(defaultEnsembleMembers(seasonPeriod), {
    ...DEFAULT_ENSEMBLE_WEIGHTING,
    ...weighting,
  });
}

/** Median of the positive gaps between consecutive timestamps (any unit); NaN with fewer than two. */
export function medianInterval(times: ArrayLike<number>): number {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const gap = (times[i] ?? Number.NaN) - (times[i - 1] ?? Number.NaN);
    if (gap > 0) gaps.push(gap);
  }
  if (gaps.length === 0) return Number.NaN;
  gaps.sort((a, b) => a - b);
  return gaps[gaps.length >> 1] ?? Number.NaN;
}

/** Whole steps in one cycle (default a day) at a sampling interval, both in seconds; undefined if < 2. */
export function stepsPerCycle(intervalSeconds: number, cycleSeconds = 86_400): number | undefined {
  const steps = Math.round(cycleSeconds / intervalSeconds);
  return Number.isFinite(steps) && steps >= 2 ? steps : undefined;
}

/**
 * The methods the benchmark compares, fresh instances per series. `seasonPeriod` (steps per day of
 * this series) only feeds the seasonal members; every other parameter is fixed.
 */
export function benchmarkMethods(horizon: number, seasonPeriod?: number): MethodSpec[] {
  return [
    { name: 'naive', create: () => new NaiveForecaster() },
    { name: 'linear', create: () => new LinearTrendForecaster() },
    { name: 'ses', create: () => new SimpleSmoothingForecaster() },
    { name: 'damped', create: () => new DampedTrendForecaster() },
    { name: 'median', create: () => new RollingMedianForecaster() },
    ...(seasonPeriod !== undefined
      ? [
          {
            name: 'seasonal',
            create: () => new SeasonalChangeForecaster({ period: Math.round(seasonPeriod) }),
          },
        ]
      : []),
    { name: 'ensemble-noseason', create: () => createDefaultEnsemble({ horizon }) },
    { name: 'ensemble', create: () => createDefaultEnsemble({ horizon, seasonPeriod }) },
  ];
}
