import { SimpleLinearRegression } from 'ml-regression';
import {
  createDefaultEnsemble,
  forecasterTimeToThreshold,
  HorizonErrorTracker,
  medianInterval,
} from '../forecasting/index.js';
import type { AlertCondition } from './promql.js';
import { formatValue, toRegularGrid, type Series } from './series.js';
import { formatDuration } from './duration.js';

export interface Forecast {
  trend: 'rising' | 'falling' | 'flat';
  /** Change per second of the fitted line. */
  slopePerSecond: number;
  r2: number;
  /** Seconds until the fitted line crosses the alert's threshold; 0 when already past it. */
  secondsToThreshold?: number;
  /** Bounds on secondsToThreshold: where the forecast ± 1.96 of its recent error spread crosses; absent = beyond the look-ahead. */
  secondsToThresholdLow?: number;
  secondsToThresholdHigh?: number;
  /** Chance that the series is past the threshold within `probabilityWindowSeconds` (a failure probability). */
  probability?: number;
  probabilityWindowSeconds?: number;
  summary: string;
}

export interface ForecastOptions {
  /** Seconds at the end of the series the trend line is fitted on (for the trend and its slope). */
  fitSeconds: number;
  /** Below this fit quality the series is "not trending", whatever its slope. */
  minR2: number;
  /** The failure probability is for crossing within this many seconds. */
  probabilityWindowSeconds: number;
  /** How far ahead a crossing is looked for, in seconds. */
  lookAheadSeconds: number;
}

export const DEFAULT_FORECAST_OPTIONS: ForecastOptions = {
  fitSeconds: 900,
  minR2: 0.3,
  probabilityWindowSeconds: 3600,
  lookAheadSeconds: 7 * 86_400,
};

/** Forecast horizon, in steps, at which the ensemble's members are weighed (as in bench:forecast). */
const HORIZON = 10;

/**
 * Says where the series is heading and when it reaches the alert's threshold. The trend and its slope
 * come from a straight line (ml-regression) over the recent part, claimed only when it explains the data
 * (r² ≥ minR2); the time to the threshold, its interval and the chance of crossing within the probability
 * window come from the error-weighted forecasting ensemble, which measured better than the line.
 */
export function forecastThreshold(
  series: Series,
  threshold: AlertCondition['threshold'],
  options: ForecastOptions = DEFAULT_FORECAST_OPTIONS,
): Forecast | undefined {
  const end = series.times.at(-1);
  if (end === undefined) return undefined;
  const xs: number[] = [];
  const ys: number[] = [];
  series.times.forEach((t, i) => {
    const v = series.values[i];
    if (t >= end - options.fitSeconds && v !== undefined && Number.isFinite(v)) {
      xs.push(t - end);
      ys.push(v);
    }
  });
  if (xs.length < 3) return undefined;
  const fit = new SimpleLinearRegression(xs, ys);
  const r2 = Number.isFinite(fit.score(xs, ys).r2) ? fit.score(xs, ys).r2 : 0;
  const slope = fit.slope;
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sxx = xs.reduce((a, x) => a + (x - meanX) ** 2, 0);
  const sse = xs.reduce((a, x, i) => a + ((ys[i] ?? 0) - fit.predict(x)) ** 2, 0);
  const slopeSE = sxx > 0 && xs.length > 2 ? Math.sqrt(sse / (xs.length - 2) / sxx) : 0;
  const level = fit.predict(0);
  const trending = r2 >= options.minR2 && Math.abs(slope) > 2 * slopeSE;
  const trend: Forecast['trend'] = !trending ? 'flat' : slope > 0 ? 'rising' : 'falling';
  const perMinute = `${slope >= 0 ? '+' : ''}${formatValue(slope * 60)}/min`;
  const base = { trend, slopePerSecond: slope, r2: Math.round(r2 * 1000) / 1000 };
  if (!threshold) {
    return { ...base, summary: trend === 'flat' ? 'not trending' : `${trend} ${perMinute} (r² ${base.r2})` };
  }
  const sign = threshold.direction === 'above' ? 1 : -1;
  const gap = (threshold.value - level) * sign;
  if (gap <= 0 || (ys.at(-1) ?? Number.NaN) * sign >= threshold.value * sign) {
    return {
      ...base,
      secondsToThreshold: 0,
      probability: 1,
      probabilityWindowSeconds: options.probabilityWindowSeconds,
      summary: `already past the threshold ${formatValue(threshold.value)}`,
    };
  }
  // The time to the threshold comes from the error-weighted ensemble (see bench:forecast), fed the
  // whole series; its recent errors give the interval and the failure probability.
  const step = Math.max(1, medianInterval(series.times) || 1);
  const tracker = new HorizonErrorTracker(createDefaultEnsemble({ horizon: HORIZON }), { horizon: HORIZON });
  for (const v of toRegularGrid(series.times, series.values, step)) tracker.update(v);
  const crossing = forecasterTimeToThreshold(tracker, {
    threshold: threshold.value,
    direction: threshold.direction,
    horizon: Math.max(1, Math.round(options.probabilityWindowSeconds / step)),
    maxSteps: Math.max(1, Math.round(options.lookAheadSeconds / step)),
  });
  const seconds = (steps: number | undefined): number | undefined =>
    steps === undefined ? undefined : Math.round(steps * step);
  const eta = seconds(crossing.expected);
  const low = seconds(crossing.low);
  const high = seconds(crossing.high);
  const chance = `${Math.round(crossing.probability * 100)}% chance within ${formatDuration(options.probabilityWindowSeconds * 1000)}`;
  const withProbability = {
    ...base,
    probability: Math.round(crossing.probability * 1000) / 1000,
    probabilityWindowSeconds: options.probabilityWindowSeconds,
  };
  if (eta === undefined) {
    return {
      ...withProbability,
      ...(low !== undefined ? { secondsToThresholdLow: low } : {}),
      summary: `not trending towards the threshold ${formatValue(threshold.value)} (${chance})`,
    };
  }
  return {
    ...withProbability,
    secondsToThreshold: eta,
    ...(low !== undefined ? { secondsToThresholdLow: low } : {}),
    ...(high !== undefined ? { secondsToThresholdHigh: high } : {}),
    summary:
      `${trend === 'flat' ? 'level' : `${trend} ${perMinute}`}: crosses ${formatValue(threshold.value)} in about ${formatDuration(eta * 1000)}` +
      ` (${low !== undefined ? formatDuration(low * 1000) : 'now'}–${high !== undefined ? formatDuration(high * 1000) : 'not within a week'}; ${chance})`,
  };
}
