import type { Forecaster } from './types.js';

/** The naive forecast: every future value equals the last value seen. The yardstick of MASE. */
export class NaiveForecaster implements Forecaster {
  readonly name = 'naive';
  private last = Number.NaN;

  update(value: number): void {
    this.last = value;
  }

  forecast(_h: number): number {
    return this.last;
  }
}
