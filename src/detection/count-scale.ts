/**
 * Counts (requests, tweets, errors per interval) have a spread that grows with their level: a burst
 * from 2 to 12 is as unusual as one from 200 to 260. On the square-root scale (Anscombe's transform for
 * Poisson counts) the spread is about the same at every level, so the same z and the same quantised
 * levels mean the same thing in a quiet hour and a busy one, and a mostly-zero series is not one long run
 * of a single level broken by "novel" ones and twos.
 */

/** Whether a series' first values look like counts: whole numbers, none negative, not all equal. */
export function looksLikeCounts(values: readonly number[]): boolean {
  let distinct = false;
  for (const v of values) {
    if (!Number.isInteger(v) || v < 0) return false;
    if (v !== values[0]) distinct = true;
  }
  return distinct;
}

/**
 * Anscombe's `2 sqrt(v + 3/8)`, shifted so 0 stays 0 and mirrored below it (a negative value in a count
 * series is itself unusual; the transform stays monotone and continuous).
 */
export function stabiliseCount(v: number): number {
  const root = 2 * Math.sqrt(Math.abs(v) + 0.375) - 2 * Math.sqrt(0.375);
  return v < 0 ? -root : root;
}
