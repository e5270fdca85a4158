import { calibrated, OnlineDetector } from '../detection/detector.js';
import { formatDuration } from './duration.js';
import { formatValue, median, quantile, type Series } from './series.js';

export interface AnomalyFinding {
  /** In [0, 1]: how unusual the recent values are against the series' usual behaviour. */
  score: number;
  /** Which view gave the score: the online detector (needs enough history) or the robust z. */
  method: 'detector' | 'robust-z';
  /** Robust z: distance of the recent median from the baseline median in MAD units. */
  robustZ: number;
  current: number;
  usualLow: number;
  usualHigh: number;
  /** Where "usual" comes from: the same time on previous days, or the window before the alert. */
  baseline: 'seasonal' | 'recent';
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
  /**
   * The same series at the same time of day on previous days, oldest first (from Prometheus's own
   * history). When there is enough of it, it is the baseline: "usual at this hour". With their times
   * (epoch seconds, one per value), the online detector also learns what is usual at each hour of the
   * day and of the week.
   */
  seasonal?: { values: number[]; days: number; times?: number[] };
}

export const DEFAULT_ANOMALY_OPTIONS: AnomalyOptions = { recentSeconds: 300, minBaselinePoints: 8 };

/** A value and, when known, its time (epoch seconds). */
interface Row {
  v: number;
  t?: number;
}

/**
 * The seasonal values as rows, with their times when every value has one: a detector fed times for
 * some rows only would learn hours from part of its history.
 */
function seasonalHistory(seasonal: AnomalyOptions['seasonal']): Row[] {
  if (!seasonal) return [];
  const timed = seasonal.times?.length === seasonal.values.length ? seasonal.times : undefined;
  return seasonal.values.flatMap((v, i) => (Number.isFinite(v) ? [{ v, t: timed?.[i] }] : []));
}

/** Rows the online detector needs before its scores mean something (its likelihood warm-up). */
const DETECTOR_MIN_HISTORY = 150;

/**
 * Scores the recent part of a series against its usual behaviour: the higher of the online detector's
 * score (run over the history, then the recent values; needs enough history) and the robust z of the
 * recent median against the baseline's median and MAD. The reason states the current value against
 * the usual range.
 * Returns undefined when there is too little history to say anything.
 */
export function scoreAnomaly(
  series: Series,
  options: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
): AnomalyFinding | undefined {
  const end = series.times.at(-1);
  if (end === undefined) return undefined;
  const cut = Math.min(end - options.recentSeconds, options.startedAt ?? Number.POSITIVE_INFINITY);
  const before: Row[] = [];
  const recent: Row[] = [];
  series.times.forEach((t, i) => {
    const v = series.values[i];
    if (v === undefined || !Number.isFinite(v)) return;
    (t > cut ? recent : before).push({ v, t });
  });
  const seasonalRows = seasonalHistory(options.seasonal);
  const seasonal = seasonalRows.map((row) => row.v);
  const useSeasonal = seasonal.length >= options.minBaselinePoints;
  const baseline = useSeasonal ? seasonal : before.map((row) => row.v);
  if (baseline.length < options.minBaselinePoints || recent.length === 0) return undefined;

  const sorted = [...baseline].sort((a, b) => a - b);
  const center = quantile(sorted, 0.5);
  const mad = median(baseline.map((v) => Math.abs(v - center)));
  const current = median(recent.map((row) => row.v));
  // A flat baseline has MAD 0; a scale floor relative to the level keeps one blip from scoring infinity.
  const scale = Math.max(1.4826 * mad, Math.abs(center) * 0.01, 1e-9);
  const robustZ = (current - center) / scale;
  const usualLow = quantile(sorted, 0.05);
  const usualHigh = quantile(sorted, 0.95);

  // Two views: the detector sees changes of shape as they happen; the robust z sees how far the level
  // sits from the baseline, which matters most when the change began before the window or on another day.
  const zScore = 1 - Math.pow(2, -Math.abs(robustZ) / 3);
  const history = useSeasonal ? [...seasonalRows, ...before] : before;
  let detectorScore = -1;
  if (history.length >= DETECTOR_MIN_HISTORY) {
    const detector = new OnlineDetector();
    const ms = (t: number | undefined): number | undefined => (t === undefined ? undefined : t * 1000);
    for (const { v, t } of history) detector.update(v, ms(t));
    for (const { v, t } of recent)
      detectorScore = Math.max(detectorScore, calibrated(detector.update(v, ms(t))));
  }
  const method: AnomalyFinding['method'] = detectorScore > zScore ? 'detector' : 'robust-z';
  const score = Math.max(detectorScore, zScore);

  const name = series.labels['__name__'] ?? series.query;
  const usual = `a usual ${formatValue(usualLow)}–${formatValue(usualHigh)}`;
  const where = useSeasonal
    ? `at this hour (same time on the previous ${options.seasonal?.days ?? 0} days)`
    : `over the previous ${formatDuration((cut - (series.times[0] ?? cut)) * 1000)}`;
  const distance = Math.abs(robustZ) >= 100 ? '>100' : Math.abs(robustZ).toFixed(1);
  const reason = `${name} ${formatValue(current)} vs. ${usual} ${where} (${distance} MADs ${robustZ >= 0 ? 'above' : 'below'} the median)`;
  return {
    score: Math.round(score * 1000) / 1000,
    method,
    robustZ,
    current,
    usualLow,
    usualHigh,
    baseline: useSeasonal ? 'seasonal' : 'recent',
    reason,
  };
}
