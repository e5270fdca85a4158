import { normalCdf } from '../domain/series.js';
import type { HorizonErrorTracker } from './errors.js';

export { normalCdf };

export type CrossingDirection = 'above' | 'below';

export interface ThresholdCrossingOptions {
  threshold: number;
  /** 'above': crossing means reaching a value ≥ threshold; 'below': ≤ threshold. */
  direction: CrossingDirection;
  /** Steps ahead within which the probability of crossing is given. */
  horizon: number;
  /** Spread (root-mean-square) of the forecaster's recent errors at `referenceHorizon` steps. */
  errorSpread: number;
  /** The horizon, in steps, `errorSpread` was measured at. */
  referenceHorizon: number;
  /** How far, in steps, the crossing time and its bounds are searched for. Default max(horizon, 1000). */
  maxSteps?: number;
  /** Width of the band around the path, in standard deviations. Default 1.96 (95 % at each step). */
  z?: number;
}

export interface ThresholdCrossing {
  /**
   * Steps (fractional, interpolated) until the forecast path reaches the threshold: 0 when the
   * current value is already past it, undefined when the path does not reach it within maxSteps.
   */
  expected: number | undefined;
  /** Earliest plausible crossing: when the path plus z·σ reaches the threshold (undefined: not within maxSteps). */
  low: number | undefined;
  /** Latest plausible crossing: when the path minus z·σ reaches the threshold (undefined: not within maxSteps). */
  high: number | undefined;
  /** Probability that the series is past the threshold within `horizon` steps, in [0, 1]. */
  probability: number;
}

/**
 * When does a forecast path cross a threshold, and how likely is it to within a horizon?
 *
 * `path(k)` is the forecast k steps ahead (k = 1, 2, …) and `current` the last observed value.
 * Assumptions, all deliberately simple:
 * - The forecast error k steps ahead is normal, unbiased, with standard deviation
 *   σ_k = errorSpread · √(k / referenceHorizon): the spread measured at one horizon, grown like a
 *   random walk's. That is generous for stationary noise at long horizons and short of the truth
 *   when the trend itself is uncertain (such error grows like k).
 * - The expected time is where the path itself reaches the threshold (linear interpolation between
 *   steps, starting from `current` at step 0). The interval is where the band path ± z·σ_k first
 *   reaches it: the upper edge of the band gives the earliest time, the lower edge the latest.
 * - The probability of crossing within `horizon` is the largest, over steps 1…horizon, of the
 *   probability of being past the threshold at that step: max_k Φ((path_k − threshold)/σ_k) for
 *   'above'. That is a lower bound of the probability of crossing at some step (a series may
 *   cross and come back); with σ = 0 it is 1 or 0.
 * A value already past the threshold gives 0 steps and probability 1.
 */
export function timeToThreshold(
  path: (k: number) => number,
  current: number,
  options: ThresholdCrossingOptions,
): ThresholdCrossing {
  const { threshold, direction, horizon, errorSpread, referenceHorizon, z = 1.96 } = options;
  const maxSteps = options.maxSteps ?? Math.max(horizon, 1000);
  if (!(referenceHorizon > 0)) throw new RangeError('referenceHorizon must be positive');
  if (!(errorSpread >= 0)) throw new RangeError('errorSpread must be ≥ 0');
  const sign = direction === 'above' ? 1 : -1;
  // Distance past the threshold (≥ 0 means crossed), for the path and the edges of its band.
  const past = (value: number): number => sign * (value - threshold);
  if (past(current) >= 0) return { expected: 0, low: 0, high: 0, probability: 1 };

  const sigmaAt = (k: number): number => errorSpread * Math.sqrt(k / referenceHorizon);
  const crossing = (edge: number) => {
    let previous = past(current);
    let previousStep = 0;
    return (k: number, gap: number): number | undefined => {
      const distance = gap + edge * z * sigmaAt(k);
      let result: number | undefined;
      if (distance >= 0) result = previousStep + previous / (previous - distance);
      previous = distance;
      previousStep = k;
      return result;
    };
  };
  const early = crossing(1);
  const middle = crossing(0);
  const late = crossing(-1);
  let low: number | undefined;
  let expected: number | undefined;
  let high: number | undefined;
  let probability = 0;
  const steps = Math.max(maxSteps, horizon);
  for (let k = 1; k <= steps; k++) {
    const gap = past(path(k));
    if (low === undefined) low = early(k, gap);
    if (expected === undefined) expected = middle(k, gap);
    if (high === undefined) high = late(k, gap);
    if (k <= horizon && probability < 1) {
      const sigma = sigmaAt(k);
      const p = sigma > 0 ? normalCdf(gap / sigma) : gap >= 0 ? 1 : 0;
      if (p > probability) probability = p;
    }
    if (high !== undefined && k >= horizon) break;
  }
  return { expected, low, high, probability };
}

/**
 * timeToThreshold for a forecaster wrapped in a HorizonErrorTracker: its forecasts are the path,
 * its recent RMSE at its horizon the error spread (0 until the first errors are known).
 */
export function forecasterTimeToThreshold(
  tracker: HorizonErrorTracker,
  options: Omit<ThresholdCrossingOptions, 'errorSpread' | 'referenceHorizon'>,
): ThresholdCrossing {
  const rmse = tracker.rmse;
  return timeToThreshold((k) => tracker.forecast(k), tracker.lastValue, {
    ...options,
    errorSpread: Number.isFinite(rmse) ? rmse : 0,
    referenceHorizon: tracker.horizon,
  });
}
