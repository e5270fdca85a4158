/**
 * Contextual novelty: values are quantised into levels, and the detector remembers which short
 * sequences of levels (contexts) it has seen. A sequence never seen before, after a long stable
 * history, is the signature of a new behaviour: a spike, a drop, a changed rhythm or a flat-line.
 */
export interface ContextOptions {
  /** Rows used to learn the level width before quantising. */
  calibrationRows: number;
  /** Levels across the calibration range. */
  levels: number;
  /** Context lengths remembered, e.g. [1, 2, 3, 4]. */
  lengths: readonly number[];
}

export class ContextNovelty {
  private readonly seen = new Map<number, number>();
  private readonly history: number[] = [];
  private readonly calibration: number[] = [];
  private origin = 0;
  private width = 0;
  private readonly maxLength: number;

  constructor(private readonly options: ContextOptions) {
    this.maxLength = Math.max(...options.lengths);
  }

  private level(value: number): number {
    return Math.floor((value - this.origin) / this.width);
  }

  /** Fraction in [0, 1] of context lengths whose current context is new; 0 while calibrating. */
  update(value: number): number {
    if (this.width === 0) {
      this.calibration.push(value);
      if (this.calibration.length < this.options.calibrationRows) return 0;
      const sorted = [...this.calibration].sort((a, b) => a - b);
      const lo = sorted[0] ?? 0;
      const hi = sorted[sorted.length - 1] ?? 0;
      this.origin = lo;
      // A flat calibration would make levels infinitely fine; they are never finer than 1% of the level.
      this.width = Math.max((hi - lo) / this.options.levels, (Math.abs(lo + hi) / 2) * 0.01, 1e-9);
      for (const v of this.calibration) this.learn(this.level(v));
      return 0;
    }
    const level = this.level(value);
    this.history.push(level);
    if (this.history.length > this.maxLength) this.history.shift();
    let novel = 0;
    for (const length of this.options.lengths) {
      const key = this.key(length);
      if (key === undefined) continue;
      const count = this.seen.get(key) ?? 0;
      if (count === 0) novel++;
      this.seen.set(key, count + 1);
    }
    return novel / this.options.lengths.length;
  }

  private learn(level: number): void {
    this.history.push(level);
    if (this.history.length > this.maxLength) this.history.shift();
    for (const length of this.options.lengths) {
      const key = this.key(length);
      if (key !== undefined) this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
    }
  }

  // Levels are small integers: a polynomial hash with the length folded in keys the map without strings.
  private key(length: number): number | undefined {
    const n = this.history.length;
    if (n < length) return undefined;
    let h = length;
    for (let i = n - length; i < n; i++) h = (Math.imul(h, 1_000_003) + (this.history[i] ?? 0) + 65_536) | 0;
    return h;
  }
}
