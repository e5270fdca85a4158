/**
 * Running empirical tail probability of a signal in [0, 1]: P(past value >= current), with the current
 * value counted as one more observation so a first-ever extreme gets 1/(n + 1), never 0. Binned (a
 * Fenwick tree over `bins` bins) so each update costs O(log bins).
 *
 * The history's size counts up to `maxRows` only: past it, the probability is the count of past values at
 * least as high over `maxRows`, a rank rather than a share. Why: a fixed threshold on a share alarms on the
 * top fraction of the history, so a series twice as long raises twice the false alarms of the same kind;
 * on a rank the count of such alarms grows with the logarithm of the length instead (new entries among the
 * highest few), and a record after many rows scores no more than one after `maxRows`.
 */
export class EmpiricalTail {
  private readonly tree: Float64Array;
  private total = 0;

  constructor(
    private readonly bins: number,
    private readonly maxRows = Number.POSITIVE_INFINITY,
  ) {
    this.tree = new Float64Array(bins + 1);
  }

  private bin(x: number): number {
    return Math.min(this.bins - 1, Math.max(0, Math.floor(x * this.bins)));
  }

  /** Count of past values in bins < b. */
  private below(b: number): number {
    let s = 0;
    for (let i = b; i > 0; i -= i & -i) s += this.tree[i] ?? 0;
    return s;
  }

  /** Tail probability of x against the past, then learns x. */
  update(x: number): number {
    const b = this.bin(x);
    const atOrAbove = this.total - this.below(b);
    const p = Math.min(1, (atOrAbove + 1) / (Math.min(this.total, this.maxRows) + 1));
    for (let i = b + 1; i <= this.bins; i += i & -i) this.tree[i] = (this.tree[i] ?? 0) + 1;
    this.total++;
    return p;
  }
}
