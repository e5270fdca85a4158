/**
 * Distance of a value from what is usual at this hour of the day: one running level and spread per
 * hour (UTC), each learned only from its own hour. A daily rhythm is then no surprise, while the same
 * value at an unusual hour is. Until an hour has seen enough values it has no opinion (undefined).
 */
export class SeasonalZ {
  private readonly mean = new Float64Array(24).fill(Number.NaN);
  private readonly absDev = new Float64Array(24);
  private readonly count = new Uint32Array(24);

  constructor(
    private readonly alpha: number,
    private readonly minCount: number,
  ) {}

  update(value: number, timestampMs: number): number | undefined {
    const hour = Math.floor(timestampMs / 3_600_000) % 24;
    const mean = this.mean[hour] ?? Number.NaN;
    const n = this.count[hour] ?? 0;
    this.count[hour] = n + 1;
    if (Number.isNaN(mean)) {
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
    return n >= this.minCount ? z : undefined;
  }
}
