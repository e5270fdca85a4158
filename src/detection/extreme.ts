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

  private range(): number {
    // A flat history has no range; "far beyond" then means a tenth of the level at least.
    return Math.max(this.max - this.min, Math.abs(this.max) * 0.1, 1e-9);
  }

  /**
   * What the detector may learn from a value: the value itself, or, past `reach` seen ranges beyond the
   * seen range, the edge of that reach (as it is during warm-up, before there is a range).
   */
  learnable(value: number, reach: number): number {
    if (this.seen < this.warmup) return value;
    const edge = reach * this.range();
    // Zero stays within reach of a series that has only been positive: its first zero is scored once
    // (above), and from then on only the range counts, as it did before the reach.
    const low = this.min > 0 ? Math.min(0, this.min - edge) : this.min - edge;
    return Math.min(this.max + edge, Math.max(low, value));
  }

  /**
   * Distance past the seen range divided by its width (0 inside it; +Infinity as above); 0 during
   * warm-up. The range then grows by `learned` (the value, or what learnable made of it).
   */
  update(value: number, learned: number = value): number {
    let beyond = 0;
    if (this.seen >= this.warmup) {
      beyond =
        this.min > 0 && value <= 0
          ? Number.POSITIVE_INFINITY
          : Math.max(0, value - this.max, this.min - value) / this.range();
    }
    this.seen++;
    this.min = Math.min(this.min, learned);
    this.max = Math.max(this.max, learned);
    return beyond;
  }
}
