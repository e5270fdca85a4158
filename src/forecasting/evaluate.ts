import type { ForecasterFactory } from './types.js';

/** A forecasting method under evaluation: a name and a factory for a fresh instance per series. */
export interface MethodSpec {
  name: string;
  create: ForecasterFactory;
}

export interface EvaluationOptions {
  /** Steps ahead each forecast is made for. Default 10. */
  horizon: number;
  /** Share of each series' first rows fed to the forecasters but not scored. Default 0.15. */
  warmup: number;
  /** A forecast is scored every `stride` rows (the same rows for every method). Default 1. */
  stride: number;
}

export const DEFAULT_EVALUATION_OPTIONS: EvaluationOptions = { horizon: 10, warmup: 0.15, stride: 1 };

export interface MethodResult {
  /** Mean absolute error of the method's h-step forecasts over the scored rows. */
  mae: number;
  /** mae / the naive last-value forecast's MAE at the same horizon over the same rows. */
  mase: number;
  /** Wall-clock seconds spent feeding the series and forecasting. */
  seconds: number;
}

export interface SeriesEvaluation {
  name: string;
  rows: number;
  /** Scored forecasts per method. */
  points: number;
  naiveMae: number;
  methods: Record<string, MethodResult>;
}

/**
 * MASE against the naive forecast at the same horizon: method MAE / naive MAE.
 * On a series the naive forecast predicts perfectly (a flat line), a method that is perfect too
 * (within rounding) ties with it, 1; otherwise it is infinitely worse.
 */
export function relativeMae(mae: number, naiveMae: number, scale: number): number {
  const tolerance = 1e-9 * Math.max(scale, 1e-300);
  if (naiveMae <= tolerance) return mae <= tolerance ? 1 : Number.POSITIVE_INFINITY;
  return mae / naiveMae;
}

/**
 * Runs every method online over one series. Each forecaster is fed rows 0, 1, 2, … in order;
 * after being fed row t, for every scored row t (t ≥ warm-up, t + horizon < rows, every `stride`
 * rows), its forecast for row t + horizon is compared with the actual value. The forecast made at
 * row t only ever sees rows ≤ t.
 */
export function evaluateSeries(
  name: string,
  values: ArrayLike<number>,
  methods: readonly MethodSpec[],
  options: Partial<EvaluationOptions> = {},
): SeriesEvaluation {
  const { horizon, warmup, stride } = { ...DEFAULT_EVALUATION_OPTIONS, ...options };
  if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError('horizon must be an integer ≥ 1');
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError('stride must be an integer ≥ 1');
  const rows = values.length;
  const start = Math.max(1, Math.floor(rows * warmup));
  const last = rows - 1 - horizon;

  let naiveSum = 0;
  let points = 0;
  let scale = 0;
  for (let t = start; t <= last; t += stride) {
    naiveSum += Math.abs((values[t + horizon] ?? 0) - (values[t] ?? 0));
    scale += Math.abs(values[t] ?? 0);
    points++;
  }
  const naiveMae = points > 0 ? naiveSum / points : Number.NaN;
  scale = points > 0 ? scale / points : 0;

  const results: Record<string, MethodResult> = {};
  for (const method of methods) {
    const started = performance.now();
    const forecaster = method.create();
    let sum = 0;
    for (let t = 0; t <= last; t++) {
      forecaster.update(values[t] ?? Number.NaN);
      if (t >= start && (t - start) % stride === 0) {
        sum += Math.abs((values[t + horizon] ?? 0) - forecaster.forecast(horizon));
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const mae = points > 0 ? sum / points : Number.NaN;
    results[method.name] = { mae, mase: relativeMae(mae, naiveMae, scale), seconds };
  }
  return { name, rows, points, naiveMae, methods: results };
}

export interface MethodSummary {
  median: number;
  /** Mean over the series with a finite MASE. */
  mean: number;
  /** Series on which the naive forecast was perfect and the method was not (MASE = ∞). */
  infinite: number;
  /** Share of series on which the method beats the naive forecast (MASE < 1). */
  shareBelowOne: number;
  points: number;
  seconds: number;
  pointsPerSecond: number;
}

export interface BenchmarkSummary {
  horizon: number;
  series: number;
  points: number;
  methods: Record<string, MethodSummary>;
  /** The method with the lowest median MASE. */
  best: string;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

export function summarize(
  evaluations: readonly SeriesEvaluation[],
  methodNames: readonly string[],
  horizon: number,
): BenchmarkSummary {
  const methods: Record<string, MethodSummary> = {};
  let best = '';
  let bestMedian = Number.POSITIVE_INFINITY;
  const points = evaluations.reduce((a, e) => a + e.points, 0);
  for (const name of methodNames) {
    const mases = evaluations.map((e) => e.methods[name]?.mase ?? Number.NaN).filter((m) => !Number.isNaN(m));
    const seconds = evaluations.reduce((a, e) => a + (e.methods[name]?.seconds ?? 0), 0);
    const finite = mases.filter((m) => Number.isFinite(m));
    const summary: MethodSummary = {
      median: median(mases),
      mean: finite.reduce((a, m) => a + m, 0) / finite.length,
      infinite: mases.length - finite.length,
      shareBelowOne: mases.filter((m) => m < 1).length / mases.length,
      points,
      seconds,
      pointsPerSecond: seconds > 0 ? points / seconds : Number.POSITIVE_INFINITY,
    };
    methods[name] = summary;
    if (summary.median < bestMedian) {
      bestMedian = summary.median;
      best = name;
    }
  }
  return { horizon, series: evaluations.length, points, methods, best };
}
