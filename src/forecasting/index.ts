/**
 * Online forecasting of an alert's metric series: forecasters sharing one interface, an online
 * error-weighted ensemble, the time-to-threshold helper and the MASE evaluation used by
 * `bench/forecast.ts`. Pure modules: no I/O.
 */
export type { Forecaster, ForecasterFactory } from './types.js';
export { NaiveForecaster } from './naive.js';
export { LinearTrendForecaster, DEFAULT_LINEAR_TREND_OPTIONS, type LinearTrendOptions } from './linear.js';
export {
  SimpleSmoothingForecaster,
  DampedTrendForecaster,
  DEFAULT_SIMPLE_SMOOTHING_OPTIONS,
  DEFAULT_DAMPED_TREND_OPTIONS,
  type SimpleSmoothingOptions,
  type DampedTrendOptions,
} from './smoothing.js';
export {
  RollingMedianForecaster,
  DEFAULT_ROLLING_MEDIAN_OPTIONS,
  type RollingMedianOptions,
} from './median.js';
export {
  SeasonalChangeForecaster,
  DEFAULT_SEASONAL_CHANGE_OPTIONS,
  type SeasonalChangeOptions,
} from './seasonal.js';
export { HorizonErrorTracker, DEFAULT_ERROR_TRACKER_OPTIONS, type ErrorTrackerOptions } from './errors.js';
export { EnsembleForecaster, DEFAULT_ENSEMBLE_OPTIONS, type EnsembleOptions } from './ensemble.js';
export {
  createDefaultEnsemble,
  defaultEnsembleMembers,
  benchmarkMethods,
  medianInterval,
  stepsPerCycle,
  DEFAULT_ENSEMBLE_WEIGHTING,
  type DefaultEnsembleOptions,
} from './methods.js';
export {
  timeToThreshold,
  forecasterTimeToThreshold,
  normalCdf,
  type CrossingDirection,
  type ThresholdCrossing,
  type ThresholdCrossingOptions,
} from './threshold.js';
export {
  evaluateSeries,
  summarize,
  median,
  relativeMae,
  DEFAULT_EVALUATION_OPTIONS,
  type EvaluationOptions,
  type MethodSpec,
  type MethodResult,
  type SeriesEvaluation,
  type MethodSummary,
  type BenchmarkSummary,
} from './evaluate.js';
export {
  runForecastBenchmark,
  dailyPeriod,
  type BenchmarkSeries,
  type BenchmarkReport,
  type BenchmarkResult,
} from './benchmark.js';
