import {
  DEFAULT_EVALUATION_OPTIONS,
  evaluateSeries,
  summarize,
  type BenchmarkSummary,
  type EvaluationOptions,
  type SeriesEvaluation,
} from './evaluate.js';
import { benchmarkMethods, medianInterval, stepsPerCycle } from './methods.js';

/** One series to benchmark on: a name, its values and their timestamps (epoch milliseconds). */
export interface BenchmarkSeries {
  key: string;
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** The benchmark's machine-readable result (the last line the benchmark prints). */
export interface BenchmarkReport {
  horizon: number;
  series: number;
  /** Scored forecasts per method, summed over the series. */
  points: number;
  warmup: number;
  stride: number;
  median_mase: Record<string, number>;
  /** Mean over the series with a finite MASE (see `infinite_mase`). */
  mean_mase: Record<string, number>;
  /** Series where naive was perfect over the scored rows and the method was not (MASE ∞). */
  infinite_mase: Record<string, number>;
  share_mase_below_1: Record<string, number>;
  /** The method with the lowest median MASE. */
  best: string;
  best_median_mase: number;
  linear_median_mase: number;
  /** Scored forecasts per second of the best method (updates included). */
  points_per_second: number;
  points_per_second_by_method: Record<string, number>;
}

export interface BenchmarkResult {
  evaluations: SeriesEvaluation[];
  summary: BenchmarkSummary;
  report: BenchmarkReport;
}

/**
 * Steps per day of a series, from the median sampling interval of its warm-up rows only (so the
 * forecasts stay causal); undefined if the timestamps do not tell.
 */
export function dailyPeriod(timestamps: ArrayLike<number>, warmupRows: number): number | undefined {
  const head = Array.from({ length: Math.min(timestamps.length, Math.max(warmupRows, 2)) }, (_, i) =>
    Number(timestamps[i]),
  );
  return stepsPerCycle(medianInterval(head) / 1000);
}

const round = (x: number, digits = 4): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/**
 * Runs every benchmark method over every series (see `evaluateSeries`) and summarises MASE at the
 * horizon. Parameters are the same for every series; the only per-series input besides the values
 * is the number of steps in a day, derived from the warm-up rows' sampling interval.
 */
export function runForecastBenchmark(
  series: readonly BenchmarkSeries[],
  options: Partial<EvaluationOptions> = {},
): BenchmarkResult {
  const { horizon, warmup, stride } = { ...DEFAULT_EVALUATION_OPTIONS, ...options };
  const names: string[] = [];
  const evaluations = series.map((s) => {
    const period = dailyPeriod(s.timestamps, Math.floor(s.values.length * warmup));
    const methods = benchmarkMethods(horizon, period);
    for (const m of methods) if (!names.includes(m.name)) names.push(m.name);
    return evaluateSeries(s.key, s.values, methods, { horizon, warmup, stride });
  });
  const summary = summarize(evaluations, names, horizon);
  const pick = (f: (m: BenchmarkSummary['methods'][string]) => number, digits = 4): Record<string, number> =>
    Object.fromEntries(Object.entries(summary.methods).map(([name, m]) => [name, round(f(m), digits)]));
  const best = summary.methods[summary.best];
  const report: BenchmarkReport = {
    horizon,
    series: summary.series,
    points: summary.points,
    warmup,
    stride,
    median_mase: pick((m) => m.median),
    mean_mase: pick((m) => m.mean),
    infinite_mase: pick((m) => m.infinite, 0),
    share_mase_below_1: pick((m) => m.shareBelowOne, 3),
    best: summary.best,
    best_median_mase: round(best?.median ?? Number.NaN),
    linear_median_mase: round(summary.methods['linear']?.median ?? Number.NaN),
    points_per_second: Math.round(best?.pointsPerSecond ?? Number.NaN),
    points_per_second_by_method: pick((m) => Math.round(m.pointsPerSecond), 0),
  };
  return { evaluations, summary, report };
}
