/**
 * How far a value lies beyond everything seen so far, in units of the range seen so far: a spike to ten
 * times the usual peak is an anomaly at once, without waiting for averages to notice.
 *
 * On a series that has only ever been positive the distance is also measured in ratios (on the log
 * scale), and the larger of the two counts: most measured quantities (latencies, rates, bytes, load) vary
 * by factors, so a drop from a usual 20..100 to 2 is as far below as a rise to 1,000 is above, and a drop
 * to zero, which such a series has never shown, is infinitely far. In units of the range it would be only
 * a fifth of the range below the lowest value. Once the series has reached zero or below, ratios mean
 * nothing and only the range counts, so this adds at most one such alarm to a series.
 */
export class BeyondRange {
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private logMin = Number.NaN;
  private logMax = Number.NaN;
  private seen = 0;

  constructor(private readonly warmup: number) {}

  /** Distance past the seen range divided by its width (0 inside it); 0 during warm-up. */
  update(value: number): number {
    let beyond = 0;
    if (this.seen >= this.warmup) {
      // A flat history has no range; "far beyond" then means a tenth of the level at least (on the log
      // scale likewise a tenth: log(1.1) is about 0.1).
      const range = Math.max(this.max - this.min, Math.abs(this.max) * 0.1, 1e-9);
      beyond = Math.max(0, value - this.max, this.min - value) / range;
      if (this.min > 0) beyond = Math.max(beyond, this.ratioBeyond(value));
    }
    this.seen++;
    if (value < this.min) {
      this.min = value;
      this.logMin = value > 0 ? Math.log(value) : Number.NaN;
    }
    if (value > this.max) {
      this.max = value;
      this.logMax = value > 0 ? Math.log(value) : Number.NaN;
    }
    return beyond;
  }

  /** The same distance on the log scale, for a history that is all positive; a value <= 0 is infinitely far. */
  private ratioBeyond(value: number): number {
    if (value <= 0) return Number.POSITIVE_INFINITY;
    if (value >= this.min && value <= this.max) return 0;
    const log = Math.log(value);
    return Math.max(log - this.logMax, this.logMin - log) / Math.max(this.logMax - this.logMin, 0.1);
  }
}
