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
    const delta = raw - this.longMean;
    this.longMean += this.longAlpha * delta;
    this.longVar = (1 - this.longAlpha) * (this.longVar + this.longAlpha * delta * delta);
    if (this.seen < this.warmup) return 0.5;
    return normalCdf(z);
  }
}
