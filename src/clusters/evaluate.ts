/**
 * Agreement of a clustering with the truth, over the same items: each item has a predicted and a true
 * cluster id (noise given a singleton id of its own, so it agrees with nothing).
 */

export interface Agreement {
  /** Adjusted Rand index: 1 identical, about 0 for chance agreement, below 0 worse than chance. */
  ari: number;
  /** Of the pairs put together, the share truly together. */
  pairPrecision: number;
  /** Of the pairs truly together, the share put together. */
  pairRecall: number;
  /** Harmonic mean of the two. */
  pairF1: number;
}

const pairs = (n: number): number => (n * (n - 1)) / 2;

function counts<K>(keys: Iterable<K>): Map<K, number> {
  const out = new Map<K, number>();
  for (const k of keys) out.set(k, (out.get(k) ?? 0) + 1);
  return out;
}

/** Agreement of `predicted` with `truth` (equal lengths; labels compared by identity). */
export function agreement(
  predicted: readonly (string | number)[],
  truth: readonly (string | number)[],
): Agreement {
  if (predicted.length !== truth.length) throw new RangeError('predicted and truth differ in length');
  const n = predicted.length;
  const joint = counts(predicted.map((p, i) => `${p}\u0000${truth[i]}`));
  let together = 0; // pairs together in both
  for (const c of joint.values()) together += pairs(c);
  let predictedPairs = 0;
  for (const c of counts(predicted).values()) predictedPairs += pairs(c);
  let truePairs = 0;
  for (const c of counts(truth).values()) truePairs += pairs(c);
  const all = pairs(n);
  const expected = all === 0 ? 0 : (predictedPairs * truePairs) / all;
  const most = (predictedPairs + truePairs) / 2;
  // Both clusterings all singletons (or all one cluster): they agree perfectly.
  const ari = most === expected ? 1 : (together - expected) / (most - expected);
  const pairPrecision = predictedPairs === 0 ? 1 : together / predictedPairs;
  const pairRecall = truePairs === 0 ? 1 : together / truePairs;
  const sum = pairPrecision + pairRecall;
  return { ari, pairPrecision, pairRecall, pairF1: sum === 0 ? 0 : (2 * pairPrecision * pairRecall) / sum };
}

/** DBSCAN labels with each noise point (-1) given an id of its own, for `agreement`. */
export function withSingletons(labels: readonly number[]): string[] {
  return labels.map((c, i) => (c < 0 ? `noise-${i}` : `c${c}`));
}
