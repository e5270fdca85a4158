import type { Forecaster } from './types.js';

export interface SeasonalChangeOptions {
  /** Length of the cycle in steps, e.g. one day of samples (288 at a 5-minute interval). Required. */
  period: number;
  /**
   * Smoothing of the level the changes are read from, in (0, 1]: 1 reads the raw values, smaller
   * values an exponentially smoothed level (less noise, a little lag). Default 1.
   */
  alpha: number;
  /** How many past cycles the change is averaged over. Default 1. */
  cycles: number;
}

export const DEFAULT_SEASONAL_CHANGE_OPTIONS: Omit<SeasonalChangeOptions, 'period'> = { alpha: 1, cycles: 1 };

/**
 * "Today, like yesterday": the current level plus the change the series went through over the same
 * h steps one cycle ago (averaged over the last `cycles` cycles):
 *
 *   ŷ_{t+h} = L_t + mean_{k=1..cycles} (L_{t−k·P+h} − L_{t−k·P})
 *
 * where L is the series (alpha = 1) or its exponentially smoothed level and P the period. Unlike
 * a seasonal naive forecast it keeps the current level, so a daily shape is followed even when the
 * whole series has shifted up or down. Until one full cycle (plus h) has been seen, and for cycles
 * whose "h steps later" is not yet in the past (h > k·P), it falls back to the current level.
 */
export class SeasonalChangeForecaster implements Forecaster {
  readonly name: string;
  private readonly period: number;
  private readonly alpha: number;
  private readonly cycles: number;
  private readonly history: Float64Array;
  private count = 0;
  private level = Number.NaN;

  constructor(options: Partial<SeasonalChangeOptions> & Pick<SeasonalChangeOptions, 'period'>) {
    const { period, alpha, cycles } = { ...DEFAULT_SEASONAL_CHANGE_OPTIONS, ...options };
    if (!Number.isInteger(period) || period < 1) throw new RangeError('period must be an integer ≥ 1');
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError('alpha must be in (0, 1]');
    if (!Number.isInteger(cycles) || cycles < 1) throw new RangeError('cycles must be an integer ≥ 1');
    this.period = period;
    this.alpha = alpha;
    this.cycles = cycles;
    this.history = new Float64Array(period * cycles + 1);
    this.name = `seasonal(P=${period},α=${alpha},k=${cycles})`;
  }

  update(value: number): void {
    this.level = Number.isNaN(this.level) ? value : this.level + this.alpha * (value - this.level);
    this.history[this.count % this.history.length] = this.level;
    this.count++;
  }

  forecast(h: number): number {
    if (this.count === 0) return Number.NaN;
    const last = this.count - 1;
    let change = 0;
    let used = 0;
    for (let k = 1; k <= this.cycles; k++) {
      const from = last - k * this.period;
      const to = from + h;
      if (from < 0 || to > last) continue;
      change += this.at(to) - this.at(from);
      used++;
    }
    return this.level + (used > 0 ? change / used : 0);
  }

  /** The level recorded after the value of index i (which must still be in the history). */
  private at(i: number): number {
    return this.history[i % this.history.length] ?? Number.NaN;
  }
}
