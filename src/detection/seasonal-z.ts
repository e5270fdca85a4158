const HOUR_MS = 3_600_000;

/**
 * Distance of a value from what is usual at this phase of a period: one running level and spread per
 * hour of the period (UTC), each learned only from its own hour. With a period of 24 hours a daily
 * rhythm is no surprise, with 168 a weekly one (quiet weekends), while the same value at an unusual hour
 * is. An hour has no opinion (undefined) until it has been seen in `minPeriods` different periods
 * (days, weeks): counted in periods rather than values, so an hourly series and a 5-minute one earn a
 * say after the same stretch of time.
 */
export class SeasonalZ {
  private readonly mean: Float64Array;
  private readonly absDev: Float64Array;
  private readonly count: Uint32Array;
  private readonly periods: Uint32Array;
  private readonly lastPeriod: Float64Array;
  /** How far the last value was from this hour's level (NaN when the hour had none yet). */
  lastError = Number.NaN;

  constructor(
    private readonly alpha: number,
    private readonly minPeriods: number,
    private readonly periodHours = 24,
  ) {
    this.mean = new Float64Array(periodHours).fill(Number.NaN);
    this.absDev = new Float64Array(periodHours);
    this.count = new Uint32Array(periodHours);
    this.periods = new Uint32Array(periodHours);
    this.lastPeriod = new Float64Array(periodHours).fill(Number.NaN);
  }

  update(value: number, timestampMs: number): number | undefined {
    const hours = Math.floor(timestampMs / HOUR_MS);
    const hour = ((hours % this.periodHours) + this.periodHours) % this.periodHours;
    const period = Math.floor(hours / this.periodHours);
    if (period !== this.lastPeriod[hour]) {
      this.lastPeriod[hour] = period;
      this.periods[hour] = (this.periods[hour] ?? 0) + 1;
    }
    const mean = this.mean[hour] ?? Number.NaN;
    const n = this.count[hour] ?? 0;
    this.count[hour] = n + 1;
    if (Number.isNaN(mean)) {
      this.lastError = Number.NaN;
      this.mean[hour] = value;
      return undefined;
    }
    const deviation = value - mean;
    const absDev = this.absDev[hour] ?? 0;
    const scale = Math.max(1.2533 * absDev, Math.abs(mean) * 0.01, 1e-9);
    const z = Math.abs(deviation) / scale;
    // Early on a plain average (alpha 1/n) learns faster than the long-run weight.
    const a = Math.max(this.alpha, 1 / (n + 1));
    this.mean[hour] = mean + a * deviation;
    this.absDev[hour] = absDev + a * (Math.abs(deviation) - absDev);
    // The current period counts once it is complete: `minPeriods` earlier ones must have been seen.
    const speaks = (this.periods[hour] ?? 0) > this.minPeriods;
    this.lastError = speaks ? Math.abs(deviation) : Number.NaN;
    return speaks ? z : undefined;
  }
}
