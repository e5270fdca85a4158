import type { Forecaster } from './types.js';

export interface SimpleSmoothingOptions {
  /** Weight of the newest value in the level, in (0, 1]: 1 is the naive forecast. Default 0.3. */
  alpha: number;
}

export const DEFAULT_SIMPLE_SMOOTHING_OPTIONS: SimpleSmoothingOptions = { alpha: 0.3 };

/**
 * Simple exponential smoothing: the forecast, at every horizon, is an exponentially weighted mean
 * of the past values (level ← α·y + (1−α)·level), which averages noise away.
 */
export class SimpleSmoothingForecaster implements Forecaster {
  readonly name: string;
  private readonly alpha: number;
  private level = Number.NaN;

  constructor(options: Partial<SimpleSmoothingOptions> = {}) {
    const { alpha } = { ...DEFAULT_SIMPLE_SMOOTHING_OPTIONS, ...options };
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError('alpha must be in (0, 1]');
    this.alpha = alpha;
    this.name = `ses(${alpha})`;
  }

  update(value: number): void {
    this.level = Number.isNaN(this.level) ? value : this.level + this.alpha * (value - this.level);
  }

  forecast(_h: number): number {
    return this.level;
  }
}

export interface DampedTrendOptions {
  /** Level smoothing weight, in (0, 1]. Default 0.3. */
  alpha: number;
  /** Trend smoothing weight, in [0, 1]. Default 0.05: the trend follows the level's changes slowly. */
  beta: number;
  /** Damping of the trend per step, in [0, 1]: 1 is Holt's linear trend, 0 no trend. Default 0.9. */
  phi: number;
}

export const DEFAULT_DAMPED_TREND_OPTIONS: DampedTrendOptions = { alpha: 0.3, beta: 0.05, phi: 0.9 };

/**
 * Holt's exponential smoothing with a damped additive trend (Gardner & McKenzie):
 *
 *   level_t = α·y_t + (1−α)·(level_{t−1} + φ·trend_{t−1})
 *   trend_t = β·(level_t − level_{t−1}) + (1−β)·φ·trend_{t−1}
 *   ŷ_{t+h} = level_t + (φ + φ² + … + φ^h)·trend_t
 *
 * With φ < 1 the extrapolated trend flattens out: the forecast converges to level + φ/(1−φ)·trend
 * as h grows, instead of running off to infinity like a straight line. The first value sets the
 * level; the trend starts at 0.
 */
export class DampedTrendForecaster implements Forecaster {
  readonly name: string;
  private readonly alpha: number;
  private readonly beta: number;
  private readonly phi: number;
  private level = Number.NaN;
  private trendValue = 0;

  constructor(options: Partial<DampedTrendOptions> = {}) {
    const { alpha, beta, phi } = { ...DEFAULT_DAMPED_TREND_OPTIONS, ...options };
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError('alpha must be in (0, 1]');
    if (!(beta >= 0 && beta <= 1)) throw new RangeError('beta must be in [0, 1]');
    if (!(phi >= 0 && phi <= 1)) throw new RangeError('phi must be in [0, 1]');
    this.alpha = alpha;
    this.beta = beta;
    this.phi = phi;
    this.name = `damped(${alpha},${beta},${phi})`;
  }

  /** The current level and trend (per step). */
  get state(): { level: number; trend: number } {
    return { level: this.level, trend: this.trendValue };
  }

  update(value: number): void {
    if (Number.isNaN(this.level)) {
      this.level = value;
      return;
    }
    const previous = this.level;
    const damped = this.phi * this.trendValue;
    this.level = this.alpha * value + (1 - this.alpha) * (previous + damped);
    this.trendValue = this.beta * (this.level - previous) + (1 - this.beta) * damped;
  }

  forecast(h: number): number {
    const { phi } = this;
    // φ + φ² + … + φ^h
    const factor = phi === 1 ? h : (phi * (1 - phi ** h)) / (1 - phi);
    return this.level + factor * this.trendValue;
  }
}
