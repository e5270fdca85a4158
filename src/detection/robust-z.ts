/**
 * Distance of each value from its recent level, in units of recent spread: an exponentially weighted
 * mean and mean absolute deviation, updated after scoring so a value is never judged against itself.
 *
 * The spread starts at 0 and learns at `alpha` from the first row, so the first few dozen rows score
 * z values of 2 to 80. That start is kept on purpose: the detector's z tail counts those values, and
 * they are its bar. Started as plain averages instead, routine large z values after the warm-up alarmed:
 * held out 3.3 points lower pooled from the first row (with the hours' spreads started so too) and 1.8
 * lower on average over eight starts (this spread alone), and nearly three times the synthetic false
 * alarms (bench/README.md, twentieth and twenty-first rounds).
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
