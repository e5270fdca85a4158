/**
 * Which baselines have earned the right to call a value unusual: the running level's mean absolute error
 * and each seasonal baseline's (hour of day, hour of week), averaged over everything each has predicted.
 * A seasonal baseline counts as detected once its error is at most √½ of the level's: it then explains at
 * least half of what the level leaves unexplained (for errors of one shape, the squared error scales with
 * the square of the absolute one). No forgetting: whether a series has a rhythm is a property of the
 * series, and a plain average asks no memory length of its own.
 */
export class TrackRecord {
  private readonly error: Float64Array;
  private readonly count: Uint32Array;

  /** `baselines` counts the level (index 0) and the seasonal baselines after it. */
  constructor(baselines: number) {
    this.error = new Float64Array(baselines);
    this.count = new Uint32Array(baselines);
  }

  /** Notes one prediction's absolute error (NaN: the baseline made none). */
  note(baseline: number, absError: number): void {
    if (!Number.isFinite(absError)) return;
    const n = (this.count[baseline] ?? 0) + 1;
    this.count[baseline] = n;
    const mean = this.error[baseline] ?? 0;
    this.error[baseline] = mean + (absError - mean) / n;
  }

  /** The seasonal baseline explaining the most, among those detected; undefined when none is. */
  best(): number | undefined {
    const bar = Math.SQRT1_2 * (this.error[0] ?? 0);
    let best: number | undefined;
    for (let k = 1; k < this.error.length; k++) {
      const error = this.error[k] ?? 0;
      if ((this.count[k] ?? 0) === 0 || error > bar) continue;
      if (best === undefined || error < (this.error[best] ?? 0)) best = k;
    }
    return best;
  }
}
