import { SimpleLinearRegression } from 'ml-regression';
import type { AlertCondition } from './promql.js';
import { formatValue, type Series } from './series.js';
import { formatDuration } from './duration.js';

export interface Forecast {
  trend: 'rising' | 'falling' | 'flat';
  /** Change per second of the fitted line. */
  slopePerSecond: number;
  r2: number;
  /** Seconds until the fitted line crosses the alert's threshold; 0 when already past it. */
  secondsToThreshold?: number;
  /** Bounds on secondsToThreshold from the slope's ±2 standard errors; absent bound = never. */
  secondsToThresholdLow?: number;
  secondsToThresholdHigh?: number;
  summary: string;
}

export interface ForecastOptions {
  /** Seconds at the end of the series the trend is fitted on. */
  fitSeconds: number;
  /** Below this fit quality the series is "not trending", whatever its slope. */
  minR2: number;
}

export const DEFAULT_FORECAST_OPTIONS: ForecastOptions = { fitSeconds: 900, minR2: 0.3 };

/**
 * Fits a straight line to the recent part of the series and says when it reaches the alert's threshold.
 * A line is only claimed when it explains the data (r² ≥ minR2); otherwise the series is "not trending".
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
  if (gap <= 0) {
    return {
      ...base,
      secondsToThreshold: 0,
      summary: `already past the threshold ${formatValue(threshold.value)}`,
    };
  }
  const towards = slope * sign;
  if (trend === 'flat' || towards <= 0) {
    return { ...base, summary: `not trending towards the threshold ${formatValue(threshold.value)}` };
  }
  const eta = gap / towards;
  const fast = (slope + 2 * slopeSE * sign) * sign;
  const slow = (slope - 2 * slopeSE * sign) * sign;
  return {
    ...base,
    secondsToThreshold: Math.round(eta),
    secondsToThresholdLow: Math.round(gap / fast),
    ...(slow > 0 ? { secondsToThresholdHigh: Math.round(gap / slow) } : {}),
    summary:
      `${trend} ${perMinute}: crosses ${formatValue(threshold.value)} in about ${formatDuration(eta * 1000)}` +
      ` (${formatDuration((gap / fast) * 1000)}–${slow > 0 ? formatDuration((gap / slow) * 1000) : 'never'})`,
  };
}
