/**
 * How far a value lies beyond everything seen so far, in units of the range seen so far: a spike to ten
 * times the usual peak is an anomaly at once, without waiting for averages to notice.
 */
export class BeyondRange {
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private seen = 0;

  constructor(private readonly warmup: number) {}

  /** Distance past the seen range divided by its width (0 inside it); 0 during warm-up. */
  update(value: number): number {
    // A flat history has no range; "far beyond" then means a tenth of the level at least.
    const range = Math.max(this.max - this.min, Math.abs(this.max) * 0.1, 1e-9);
    const beyond = this.seen >= this.warmup ? Math.max(0, value - this.max, this.min - value) / range : 0;
    this.seen++;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    return beyond;
  }
}
