/**
 * How far a value lies beyond everything seen so far, in units of the range seen so far: a spike to ten
 * times the usual peak is an anomaly at once, without waiting for averages to notice.
 *
 * A series that has only ever been positive and now reaches zero or below (a service that stopped, a
 * counter that emptied) is as far beyond as a value can be: in units of the range such a drop often lies
 * only a fraction of the range below the lowest value (an outage of a series swinging between 30 and 200
 * is a sixth of it), while for the positive quantities most metrics measure it is the one value never
 * seen. Once the series has reached zero, only the range counts, so this adds at most one alarm a series.
 */
export class BeyondRange {
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private seen = 0;

  constructor(private readonly warmup: number) {}

  /** Distance past the seen range divided by its width (0 inside it; +Infinity as above); 0 during warm-up. */
  update(value: number): number {
    let beyond = 0;
    if (this.seen >= this.warmup) {
      // A flat history has no range; "far beyond" then means a tenth of the level at least.
      const range = Math.max(this.max - this.min, Math.abs(this.max) * 0.1, 1e-9);
      beyond =
        this.min > 0 && value <= 0
          ? Number.POSITIVE_INFINITY
          : Math.max(0, value - this.max, this.min - value) / range;
    }
    this.seen++;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    return beyond;
  }
}
