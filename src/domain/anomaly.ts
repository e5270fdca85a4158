import { formatDuration } from './duration.js';
import { formatValue, median, quantile, type Series } from './series.js';

export interface AnomalyFinding {
  /** In [0, 1]: how unusual the recent values are against the series' own baseline. */
  score: number;
  /** Robust z: distance of the recent median from the baseline median in MAD units. */
  robustZ: number;
  current: number;
  usualLow: number;
  usualHigh: number;
  reason: string;
}

export interface AnomalyOptions {
  /** Seconds at the end of the series that count as "now"; the rest is the baseline. */
  recentSeconds: number;
  /** Fewest baseline points worth scoring against. */
  minBaselinePoints: number;
  /**
   * When the trouble began (epoch seconds), e.g. the alert's startsAt: the baseline ends there, so a
   * long anomaly is never mistaken for the usual. The recent window still covers at least recentSeconds.
   */
  startedAt?: number;
}

export const DEFAULT_ANOMALY_OPTIONS: AnomalyOptions = { recentSeconds: 300, minBaselinePoints: 8 };

/**
 * Scores the recent part of a series against its own earlier baseline with median and MAD, which a few
 * outliers in the baseline cannot drag. Returns undefined when there is too little history to say.
 */
export function scoreAnomaly(
  series: Series,
  options: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
): AnomalyFinding | undefined {
  const end = series.times.at(-1);
  if (end === undefined) return undefined;
  const cut = Math.min(end - options.recentSeconds, options.startedAt ?? Number.POSITIVE_INFINITY);
  const baseline: number[] = [];
  const recent: number[] = [];
  series.times.forEach((t, i) => {
    const v = series.values[i];
    if (v === undefined || !Number.isFinite(v)) return;
    (t > cut ? recent : baseline).push(v);
  });
  if (baseline.length < options.minBaselinePoints || recent.length === 0) return undefined;
  const sorted = [...baseline].sort((a, b) => a - b);
  const center = quantile(sorted, 0.5);
  const mad = median(baseline.map((v) => Math.abs(v - center)));
  const current = median(recent);
  // A flat baseline has MAD 0; a scale floor relative to the level keeps one blip from scoring infinity.
  const scale = Math.max(1.4826 * mad, Math.abs(center) * 0.01, 1e-9);
  const robustZ = (current - center) / scale;
  const score = 1 - Math.pow(2, -Math.abs(robustZ) / 3);
  const usualLow = quantile(sorted, 0.05);
  const usualHigh = quantile(sorted, 0.95);
  const span = formatDuration((cut - (series.times[0] ?? cut)) * 1000);
  const name = series.labels['__name__'] ?? series.query;
  const reason =
    `${name} ${formatValue(current)} vs. a usual ${formatValue(usualLow)}–${formatValue(usualHigh)} ` +
    `over the previous ${span} (${Math.abs(robustZ) >= 100 ? '>100' : Math.abs(robustZ).toFixed(1)} MADs ${
      robustZ >= 0 ? 'above' : 'below'
    } the median)`;
  return { score: Math.round(score * 1000) / 1000, robustZ, current, usualLow, usualHigh, reason };
}
