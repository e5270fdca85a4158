/**
 * Distance of each value from its recent level, in units of recent spread: an exponentially weighted
 * mean and mean absolute deviation, updated after scoring so a value is never judged against itself.
 */
export class RobustZ {
  private mean = Number.NaN;
  private absDev = 0;
  /** How far the last value was from the running level (NaN for the first). */
  lastError = Number.NaN;

  constructor(private readonly alpha: number) {}

  /** Returns |z| of the value against what came before, then learns it. */
  update(value: number): number {
    if (Number.isNaN(this.mean)) {
      this.mean = value;
      return 0;
    }
    const deviation = value - this.mean;
    this.lastError = Math.abs(deviation);
    // Spread never falls below 1% of the level, so a flat series does not make every wobble infinite.
    const scale = Math.max(1.2533 * this.absDev, Math.abs(this.mean) * 0.01, 1e-9);
    const z = Math.abs(deviation) / scale;
    this.mean += this.alpha * deviation;
    this.absDev += this.alpha * (Math.abs(deviation) - this.absDev);
    return z;
  }
}
