/**
 * An online forecaster: it is fed a series one value at a time, in time order, and at any point
 * forecasts the value h steps after the last one it was fed. Implementations are causal by
 * construction: a forecast only ever depends on the values already passed to `update`.
 */
export interface Forecaster {
  /** Short, stable name, used in benchmark tables. */
  readonly name: string;
  /** Feeds the next value of the series. Values are expected to be finite. */
  update(value: number): void;
  /**
   * The forecast for h steps after the last value fed (h ≥ 1, whole steps).
   * Before any value has been fed the result is NaN.
   */
  forecast(h: number): number;
}

/** Makes a fresh forecaster: one per series, so no state leaks from one series to the next. */
export type ForecasterFactory = () => Forecaster;
