import { SimpleLinearRegression } from 'ml-regression';
import type { Forecaster } from './types.js';

export interface LinearTrendOptions {
  /** How many of the most recent values the line is fitted on. Default 30. */
  window: number;
}

export const DEFAULT_LINEAR_TREND_OPTIONS: LinearTrendOptions = { window: 30 };

/**
 * The plain linear fit: an ordinary-least-squares line (ml-regression's SimpleLinearRegression)
 * through the last `window` values against their step index, extrapolated h steps ahead.
 *
 * The window is kept in a ring buffer; the line is refitted lazily, at most once per update, when a
 * forecast is asked for (an O(window) fit, cheap for the default window of 30).
 * With fewer than two values it forecasts the last value.
 */
export class LinearTrendForecaster implements Forecaster {
  readonly name: string;
  private readonly window: number;
  private readonly ring: number[];
  private count = 0;
  private fitted: { slope: number; intercept: number } | undefined;
  private readonly xs: number[] = [];
  private readonly ys: number[] = [];

  constructor(options: Partial<LinearTrendOptions> = {}) {
    const { window } = { ...DEFAULT_LINEAR_TREND_OPTIONS, ...options };
    if (!Number.isInteger(window) || window < 2) throw new RangeError('window must be an integer ≥ 2');
    this.window = window;
    this.ring = new Array<number>(window).fill(0);
    this.name = window === DEFAULT_LINEAR_TREND_OPTIONS.window ? 'linear' : `linear(w=${window})`;
  }

  update(value: number): void {
    this.ring[this.count % this.window] = value;
    this.count++;
    this.fitted = undefined;
  }

  /** Slope (per step) and intercept (at the oldest value of the window, x = 0) of the current fit. */
  fit(): { slope: number; intercept: number; points: number } {
    const n = Math.min(this.count, this.window);
    if (!this.fitted) {
      if (n < 2) {
        this.fitted = { slope: 0, intercept: n === 0 ? Number.NaN : (this.ring[0] ?? Number.NaN) };
      } else {
        const start = this.count - n;
        this.xs.length = n;
        this.ys.length = n;
        for (let i = 0; i < n; i++) {
          this.xs[i] = i;
          this.ys[i] = this.ring[(start + i) % this.window] ?? Number.NaN;
        }
        const regression = new SimpleLinearRegression(this.xs, this.ys);
        this.fitted = { slope: regression.slope, intercept: regression.intercept };
      }
    }
    return { ...this.fitted, points: n };
  }

  forecast(h: number): number {
    const { slope, intercept, points } = this.fit();
    if (points === 0) return Number.NaN;
    return intercept + slope * (points - 1 + h);
  }
}
