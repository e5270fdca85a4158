import type { Forecaster } from './types.js';

export interface ErrorTrackerOptions {
  /** The horizon, in steps, whose errors are tracked. Default 10. */
  horizon: number;
  /** Half-life, in steps, of the exponentially weighted error statistics. Default 100. */
  halfLife: number;
}

export const DEFAULT_ERROR_TRACKER_OPTIONS: ErrorTrackerOptions = { horizon: 10, halfLife: 100 };

/**
 * Wraps a forecaster and measures, online, its errors at one horizon: after each update it asks
 * for the forecast `horizon` steps ahead and keeps it until the value it forecast arrives, then
 * folds the error into exponentially weighted statistics (recent errors count most).
 * The statistics only use forecasts whose outcome has been seen: they are causal.
 */
export class HorizonErrorTracker implements Forecaster {
  readonly name: string;
  readonly horizon: number;
  private readonly decay: number;
  private readonly pending: Float64Array;
  private count = 0;
  private weight = 0;
  private sumAbs = 0;
  private sumSquared = 0;
  private sumSigned = 0;
  private errorCount = 0;
  private last = Number.NaN;
  private latest = Number.NaN;

  constructor(
    readonly inner: Forecaster,
    options: Partial<ErrorTrackerOptions> = {},
  ) {
    const { horizon, halfLife } = { ...DEFAULT_ERROR_TRACKER_OPTIONS, ...options };
    if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError('horizon must be an integer ≥ 1');
    if (!(halfLife > 0)) throw new RangeError('halfLife must be positive');
    this.name = inner.name;
    this.horizon = horizon;
    this.decay = 2 ** (-1 / halfLife);
    this.pending = new Float64Array(horizon);
  }

  update(value: number): void {
    const slot = this.count % this.horizon;
    if (this.count >= this.horizon) {
      const error = value - (this.pending[slot] ?? Number.NaN);
      if (Number.isFinite(error)) {
        const d = this.decay;
        this.weight = d * this.weight + 1;
        this.sumAbs = d * this.sumAbs + Math.abs(error);
        this.sumSquared = d * this.sumSquared + error * error;
        this.sumSigned = d * this.sumSigned + error;
        this.errorCount++;
      }
    }
    this.last = value;
    this.inner.update(value);
    this.latest = this.inner.forecast(this.horizon);
    this.pending[slot] = this.latest;
    this.count++;
  }

  forecast(h: number): number {
    // The forecast at the tracked horizon was made at the last update: no need to ask again.
    return h === this.horizon && this.count > 0 ? this.latest : this.inner.forecast(h);
  }

  /** The last value fed; NaN before the first. */
  get lastValue(): number {
    return this.last;
  }

  /** How many h-step errors have been measured so far. */
  get errors(): number {
    return this.errorCount;
  }

  /** Recent mean absolute h-step error; NaN before the first error is known. */
  get mae(): number {
    return this.weight > 0 ? this.sumAbs / this.weight : Number.NaN;
  }

  /** Recent root-mean-square h-step error; NaN before the first error is known. */
  get rmse(): number {
    return this.weight > 0 ? Math.sqrt(this.sumSquared / this.weight) : Number.NaN;
  }

  /** Recent mean signed h-step error (actual − forecast): its bias. */
  get bias(): number {
    return this.weight > 0 ? this.sumSigned / this.weight : Number.NaN;
  }
}
