import type { Features } from './features.js';

/**
 * The one distance clustering uses, in [0, 1]:
 *
 *   d = wLabels · (1 − Jaccard(label pairs)) + wText · (1 − cosine(token counts)) + wTime · (1 − e^(−Δt/τ))
 *
 * with the weights summing to 1, so each part is a share of the whole. Labels weigh most (0.4): they
 * are what the alert's rule says about where the problem is (service, namespace, alertname, severity),
 * volatile ones (instance, pod, …) left out. Text (0.3): paraphrased summaries of one problem share
 * their nouns even when rules differ. Time (0.3, τ one hour): incidents of one problem open within
 * minutes (a few minutes apart cost under 0.03), an hour apart costs 0.19 and three hours 0.29, so the
 * same fault on the same service hours later is a cluster of its own unless labels and text are nearly
 * identical. Two incidents with no labels or no text at all count as different in that part (no
 * evidence of sameness). The weights and eps were chosen with bench:clusters (docs/clusters.md).
 */
export interface DistanceWeights {
  labels: number;
  text: number;
  time: number;
  /** τ, ms: the time scale of the time part. */
  timeScaleMs: number;
}

export const DEFAULT_WEIGHTS: DistanceWeights = {
  labels: 0.4,
  text: 0.3,
  time: 0.3,
  timeScaleMs: 60 * 60 * 1000,
};

/** |A ∩ B| / |A ∪ B|; 0 when both are empty. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const x of small) if (large.has(x)) shared++;
  return shared / (a.size + b.size - shared);
}

/** Cosine of two token-count vectors; 0 when either is empty. */
export function cosine(a: Features, b: Features): number {
  if (a.norm === 0 || b.norm === 0) return 0;
  const [small, large] = a.tokens.size <= b.tokens.size ? [a.tokens, b.tokens] : [b.tokens, a.tokens];
  let dot = 0;
  for (const [token, n] of small) dot += n * (large.get(token) ?? 0);
  return Math.min(1, dot / (a.norm * b.norm));
}

/** How far apart two opening times are, in [0, 1); 1 when either time is unknown. */
export function timeApart(a: Features, b: Features, scaleMs: number): number {
  const gap = Math.abs(a.openedMs - b.openedMs);
  if (!Number.isFinite(gap)) return 1;
  return 1 - Math.exp(-gap / scaleMs);
}

/** Weights checked and normalised to sum to 1, so the distance stays in [0, 1]. */
export function normalised(w: DistanceWeights): DistanceWeights {
  const parts = [w.labels, w.text, w.time];
  if (parts.some((x) => !Number.isFinite(x) || x < 0) || !(w.timeScaleMs > 0)) {
    throw new RangeError('distance weights are finite and ≥ 0, and the time scale > 0');
  }
  const sum = w.labels + w.text + w.time;
  if (sum === 0) throw new RangeError('at least one distance weight is > 0');
  return { labels: w.labels / sum, text: w.text / sum, time: w.time / sum, timeScaleMs: w.timeScaleMs };
}

/** The distance between two incidents' features (see DistanceWeights); weights must be normalised. */
export function distance(a: Features, b: Features, w: DistanceWeights = DEFAULT_WEIGHTS): number {
  const d =
    w.labels * (1 - jaccard(a.labels, b.labels)) +
    w.text * (1 - cosine(a, b)) +
    w.time * timeApart(a, b, w.timeScaleMs);
  return Math.min(1, Math.max(0, d));
}
