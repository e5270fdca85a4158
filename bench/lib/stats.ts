export { seededRandom } from '../../src/lib/random.js';
/** Nearest-rank percentile: always one of the measured values, never an interpolation between two. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sum = samples.reduce((a, b) => a + b, 0);
  return {
    count: samples.length,
    p50: percentile(samples, 50),
    p90: percentile(samples, 90),
    p99: percentile(samples, 99),
    max: samples.length > 0 ? Math.max(...samples) : Number.NaN,
    mean: samples.length > 0 ? sum / samples.length : Number.NaN,
  };
}

/** Rounds for the report: milliseconds to 0.01 ms, ratios to 0.001. */
export const round = (x: number, digits = 2): number =>
  Number.isFinite(x) ? Number(x.toFixed(digits)) : Number.NaN;

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}

/**
 * Runs task(item) for every item with at most `concurrency` in flight, in the items' order. On the first
 * failure no new item starts, and it returns (rejects) only once every task in flight has settled, so a
 * caller cleaning up after a failure never races requests still under way.
 */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index] as T, index);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  const rejected = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (rejected) throw rejected.reason;
  return results;
}
