import { normalCdf } from '../domain/series.js';

/**
 * Turns a raw anomaly signal into how unlikely its recent average is, given the signal's own long-run
 * distribution (after Numenta's "anomaly likelihood"): a noisy series whose raw signal is always high
 * stops alarming, while a quiet one alarms on the first real change.
 */
export class AnomalyLikelihood {
  private longMean = 0;
  private longVar = 0;
  private readonly recent: number[] = [];
  private recentSum = 0;
  private seen = 0;

  constructor(
    private readonly shortWindow: number,
    private readonly longAlpha: number,
    private readonly warmup: number,
    /** Floor on the raw signal's spread: after a perfectly quiet stretch, a small stir is not a sure anomaly. */
    private readonly minStd: number,
  ) {}

  update(raw: number): number {
    this.recent.push(raw);
    this.recentSum += raw;
    if (this.recent.length > this.shortWindow) this.recentSum -= this.recent.shift() ?? 0;
    const shortMean = this.recentSum / this.recent.length;
    this.seen++;
    const std = Math.sqrt(this.longVar);
    const z = (shortMean - this.longMean) / Math.max(std, this.minStd);
    // The long-run mean and variance start at 0; with only the long weight (a memory of ~500 rows) they
    // would stay biased towards 0 for the first thousand rows, so a raw signal of ordinary height looked
    // unlikely there (false alarms just past the warm-up of short, hourly series). A plain average
    // (weight 1/n) until the long weight takes over removes the bias without another parameter.
    const weight = Math.max(this.longAlpha, 1 / this.seen);
    const delta = raw - this.longMean;
    this.longMean += weight * delta;
    this.longVar = (1 - weight) * (this.longVar + weight * delta * delta);
    if (this.seen < this.warmup) return 0.5;
    return normalCdf(z);
  }
}
