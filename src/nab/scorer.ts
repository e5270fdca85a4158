/**
 * The NAB (Numenta Anomaly Benchmark) score, as defined by `../shared/benchmarks/nab/SCORING.md` (beside the repository)
 * and checked against NAB's published per-file scores (`reference/*_scores.csv`) to 1e-6.
 *
 * Pure functions, no I/O. Rows are indexed from 0 in file order; windows are inclusive row ranges.
 *
 * Details the text leaves open, settled as NAB's own `sweeper.py` does (and the references agree):
 * - Probation `P = min(floor(0.15 * N), 0.15 * 5000)`, computed in floating point exactly as NAB does
 *   (`Math.floor(0.15 * N)`). Probation rows keep their window membership for the row-weight maths
 *   (a window starting inside probation still has its full width `W` and positions) but never detect.
 *   A window counts towards `null`/`perfect` and adds `-A_fn` when undetected even if part of it lies in
 *   probation.
 * - After-window decay uses the most recent window that ended before the row (`R'`, `W'`), until the
 *   next window starts; rows before the first window weigh `-A_fp`. When `W' = 1` the decay's
 *   denominator `W' - 1` is 0: `p` is then +Infinity and the weight `-A_fp` (NAB would divide by zero).
 * - A detection is `score >= t`; `NaN` scores never detect. The sweep tries every distinct score; among
 *   thresholds with equal corpus score it keeps the highest (NAB's stable sort over descending
 *   thresholds), and "detect nothing" (`t = +Infinity`, NAB's 1.1) is tried first.
 * - TP/FP/FN/TN counts are row counts past probation, as in NAB's score files (a window with 3
 *   detections gives TP = 3 even though only its best counts in the score).
 */

/** An anomaly window as an inclusive row-index range `[L, R]`, `0 <= L <= R < N`. */
export type WindowRange = readonly [number, number];

/** A scoring profile's cost-matrix weights (`A_tp`, `A_fp`, `A_fn`; all >= 0, unitless). */
export interface CostProfile {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
}

/** What the scorer needs to know of a labelled file: its length and its windows. */
export interface FileLabels {
  /** Number of rows `N`. */
  readonly rowCount: number;
  /** Windows in row order, not overlapping, each within `[0, N)`. */
  readonly windows: readonly WindowRange[];
}

/** A labelled file with a detector's per-row anomaly scores (`scores.length === rowCount`). */
export interface ScoredFile extends FileLabels {
  /** Optional name, used in error messages (e.g. `"realKnownCause/nyc_taxi.csv"`). */
  readonly key?: string;
  /** Anomaly score per row, normally in [0, 1]; `NaN` never detects. */
  readonly scores: ArrayLike<number>;
}

/** NAB's probation fraction: the first 15% of a file (at most 750 rows) is not scored. */
export const PROBATION_PERCENT = 0.15;

/** The logistic function `1 / (1 + e^-x)`. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * NAB's scaled sigmoid `S(p) = 2 * sigmoid(-5p) - 1`, and `-1` when `p > 3`.
 * `p` is a relative position (unitless): -1 at a window's left edge, 0 at its right edge, growing after
 * it. `S` decreases from ~0.987 at p = -1 through 0 at p = 0 towards -1; `S(+Infinity) = -1`.
 */
export function scaledSigmoid(p: number): number {
  if (p > 3) return -1;
  return 2 * sigmoid(-5 * p) - 1;
}

/** `S(-1)`: the unscaled weight of a window's earliest row, by which in-window weights are divided. */
export const MAX_TP = scaledSigmoid(-1);

/**
 * Number of probation rows of a file of `rowCount` rows: `min(floor(pp * N), pp * 5000)`
 * (750 for the default 15%). Rows `0 .. P-1` are never detections.
 */
export function probationLength(rowCount: number, probationPercent = PROBATION_PERCENT): number {
  return Math.min(Math.floor(probationPercent * rowCount), probationPercent * 5000);
}

/** Per-row detection weights of one file under one profile. */
export interface RowWeights {
  readonly profile: CostProfile;
  /** Number of rows `N`. */
  readonly rowCount: number;
  /** Probation length `P`: rows `< P` never detect. */
  readonly probation: number;
  /** Number of windows of the file (each adds `-A_fn` unless detected). */
  readonly windowCount: number;
  /** Per row: index of the window holding it, or -1 outside every window. */
  readonly window: Int32Array;
  /**
   * Per row: what a detection there is worth. In a window `S(p) * A_tp / S(-1)` (`A_tp` at its first
   * row, positive, falling to 0 at its right edge); outside, `-A_fp` before the first window and
   * `S(p) * A_fp` after one (between ~0 right after it and `-A_fp` far from it).
   */
  readonly weight: Float64Array;
}

/**
 * Computes the per-row weights of a file (see `RowWeights`). This is the one place the weights are
 * defined; `scoreFile` and the corpus sweep both use it.
 * Throws if windows are out of range, empty, overlapping or out of order.
 */
export function rowWeights(labels: FileLabels, profile: CostProfile): RowWeights {
  const n = labels.rowCount;
  const window = new Int32Array(n).fill(-1);
  const weight = new Float64Array(n);
  let prevRight = -1;
  let row = 0;
  let prevWidth = 0;
  const fillAfter = (end: number): void => {
    // Rows row..end-1 lie outside every window.
    for (; row < end; row++) {
      if (prevRight < 0) {
        weight[row] = -profile.fpWeight;
      } else {
        const p = Math.abs(prevRight - row) / (prevWidth - 1);
        weight[row] = scaledSigmoid(Number.isNaN(p) ? Infinity : p) * profile.fpWeight;
      }
    }
  };
  labels.windows.forEach(([l, r], k) => {
    if (!(Number.isInteger(l) && Number.isInteger(r) && l >= row && l <= r && r < n)) {
      throw new Error(`window ${k} [${l}, ${r}] is empty, out of [0, ${n}) or overlaps the previous one`);
    }
    fillAfter(l);
    const width = r - l + 1;
    for (; row <= r; row++) {
      const p = -(r - row + 1) / width;
      window[row] = k;
      weight[row] = (scaledSigmoid(p) * profile.tpWeight) / MAX_TP;
    }
    prevRight = r;
    prevWidth = width;
  });
  fillAfter(n);
  return {
    profile,
    rowCount: n,
    probation: probationLength(n),
    windowCount: labels.windows.length,
    window,
    weight,
  };
}

/** A file's result at one threshold. */
export interface FileScore {
  /** Raw NAB score (unitless; in [-A_fn * windows - A_fp * detections outside, A_tp * windows]). */
  readonly score: number;
  /** Detections inside windows (rows past probation). */
  readonly tp: number;
  /** Detections outside windows. */
  readonly fp: number;
  /** Non-detections inside windows. */
  readonly fn: number;
  /** Non-detections outside windows. */
  readonly tn: number;
  /** Windows with at least one detection. */
  readonly windowsDetected: number;
}

/**
 * Raw score of one file at threshold `t`: rows past probation with `score >= t` detect; each window adds
 * its best detection's weight or `-A_fn`; each detection outside windows adds its (negative) weight.
 * `scores.length` must equal `weights.rowCount` (throws otherwise).
 */
export function scoreFile(weights: RowWeights, scores: ArrayLike<number>, threshold: number): FileScore {
  if (scores.length !== weights.rowCount) {
    throw new Error(`expected ${weights.rowCount} scores, got ${scores.length}`);
  }
  const best = new Float64Array(weights.windowCount).fill(-Infinity);
  let fpScore = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = weights.probation; i < weights.rowCount; i++) {
    const k = weights.window[i] ?? -1;
    const w = weights.weight[i] ?? 0;
    const detected = (scores[i] ?? NaN) >= threshold;
    if (k < 0) {
      if (detected) {
        fp++;
        fpScore += w;
      } else tn++;
    } else if (detected) {
      tp++;
      if (w > (best[k] ?? -Infinity)) best[k] = w;
    } else fn++;
  }
  let windowScore = 0;
  let windowsDetected = 0;
  for (const b of best) {
    if (b === -Infinity) windowScore -= weights.profile.fnWeight;
    else {
      windowScore += b;
      windowsDetected++;
    }
  }
  return { score: windowScore + fpScore, tp, fp, fn, tn, windowsDetected };
}

/** Convenience: `scoreFile(rowWeights(file, profile), file.scores, threshold)`. */
export function scoreFileAt(file: ScoredFile, threshold: number, profile: CostProfile): FileScore {
  return scoreFile(rowWeights(file, profile), file.scores, threshold);
}

/** Total number of windows of a corpus. */
export function countWindows(files: readonly Pick<FileLabels, 'windows'>[]): number {
  return files.reduce((n, f) => n + f.windows.length, 0);
}

/** Raw score of detecting nothing: `-A_fn * windows`. */
export function nullScore(windowCount: number, profile: CostProfile): number {
  return -profile.fnWeight * windowCount;
}

/** Raw score of detecting every window at its first row and nothing else: `A_tp * windows`. */
export function perfectScore(windowCount: number, profile: CostProfile): number {
  return profile.tpWeight * windowCount;
}

/**
 * Normalised score `100 * (raw - null) / (perfect - null)`: 0 = detects nothing, 100 = perfect.
 * `NaN` when the corpus has no window (perfect = null).
 */
export function normalizeScore(raw: number, windowCount: number, profile: CostProfile): number {
  const lo = nullScore(windowCount, profile);
  const hi = perfectScore(windowCount, profile);
  return hi === lo ? NaN : (100 * (raw - lo)) / (hi - lo);
}

/** Raw corpus score at threshold `t`: the sum of the files' raw scores. */
export function corpusRawScore(
  files: readonly ScoredFile[],
  threshold: number,
  profile: CostProfile,
): number {
  let total = 0;
  for (const f of files) total += scoreFileAt(f, threshold, profile).score;
  return total;
}

/** Raw corpus score at every candidate threshold, thresholds descending. */
export interface ThresholdSweep {
  /** Candidate thresholds, descending: `+Infinity` (detect nothing) then every distinct score. */
  readonly thresholds: Float64Array;
  /** `rawScores[j]` = raw corpus score at `thresholds[j]`. */
  readonly rawScores: Float64Array;
  /** Number of windows in the corpus. */
  readonly windowCount: number;
}

/**
 * Raw corpus score at every distinct anomaly score as threshold (plus `+Infinity`), in one sort and
 * one pass: O(R log R) for R scored rows. Only rows past probation with non-NaN scores are candidates.
 */
export function sweepThresholds(files: readonly ScoredFile[], profile: CostProfile): ThresholdSweep {
  let total = 0;
  for (const f of files) total += Math.max(0, f.rowCount - probationLength(f.rowCount));
  const rowScore = new Float64Array(total);
  const rowWeight = new Float64Array(total);
  const rowWindow = new Int32Array(total);
  let m = 0;
  let windowBase = 0;
  for (const f of files) {
    if (f.scores.length !== f.rowCount) {
      throw new Error(`${f.key ?? 'file'}: expected ${f.rowCount} scores, got ${f.scores.length}`);
    }
    const w = rowWeights(f, profile);
    for (let i = w.probation; i < f.rowCount; i++) {
      const s = f.scores[i] ?? NaN;
      if (Number.isNaN(s)) continue;
      const k = w.window[i] ?? -1;
      rowScore[m] = s;
      rowWeight[m] = w.weight[i] ?? 0;
      rowWindow[m] = k < 0 ? -1 : windowBase + k;
      m++;
    }
    windowBase += f.windows.length;
  }
  const order = new Uint32Array(m);
  for (let j = 0; j < m; j++) order[j] = j;
  order.sort((a, b) => (rowScore[b] ?? 0) - (rowScore[a] ?? 0));

  const best = new Float64Array(windowBase).fill(-Infinity);
  const thresholds: number[] = [Infinity];
  const base = nullScore(windowBase, profile);
  const rawScores: number[] = [base];
  // Running gain over "detect nothing", summed with Neumaier compensation: the sweep adds up to one
  // term per row, and the compensation keeps it within an ulp or so of the exact sum.
  let gain = 0;
  let carry = 0;
  const add = (x: number): void => {
    const s = gain + x;
    carry += Math.abs(gain) >= Math.abs(x) ? gain - s + x : x - s + gain;
    gain = s;
  };
  for (let j = 0; j < m;) {
    const t = rowScore[order[j] ?? 0] ?? 0;
    for (; j < m && rowScore[order[j] ?? 0] === t; j++) {
      const r = order[j] ?? 0;
      const k = rowWindow[r] ?? -1;
      const w = rowWeight[r] ?? 0;
      if (k < 0) add(w);
      else {
        const prev = best[k] ?? -Infinity;
        if (prev === -Infinity) {
          add(w + profile.fnWeight);
          best[k] = w;
        } else if (w > prev) {
          add(w - prev);
          best[k] = w;
        }
      }
    }
    thresholds.push(t);
    rawScores.push(base + (gain + carry));
  }
  return {
    thresholds: Float64Array.from(thresholds),
    rawScores: Float64Array.from(rawScores),
    windowCount: windowBase,
  };
}

/** The corpus's best threshold for a profile. */
export interface ThresholdOptimum {
  /** Best threshold (`+Infinity` if detecting nothing is best). Ties go to the highest threshold. */
  readonly threshold: number;
  /** Raw corpus score there. */
  readonly rawScore: number;
  /** Normalised score there (0 null .. 100 perfect; `NaN` without windows). */
  readonly normalizedScore: number;
  readonly windowCount: number;
  readonly nullScore: number;
  readonly perfectScore: number;
}

/** The threshold maximising the raw corpus score for `profile` (see `sweepThresholds`). */
export function optimizeThreshold(files: readonly ScoredFile[], profile: CostProfile): ThresholdOptimum {
  const sweep = sweepThresholds(files, profile);
  let bestJ = 0;
  for (let j = 1; j < sweep.rawScores.length; j++) {
    if ((sweep.rawScores[j] ?? -Infinity) > (sweep.rawScores[bestJ] ?? -Infinity)) bestJ = j;
  }
  const rawScore = sweep.rawScores[bestJ] ?? NaN;
  return {
    threshold: sweep.thresholds[bestJ] ?? Infinity,
    rawScore,
    normalizedScore: normalizeScore(rawScore, sweep.windowCount, profile),
    windowCount: sweep.windowCount,
    nullScore: nullScore(sweep.windowCount, profile),
    perfectScore: perfectScore(sweep.windowCount, profile),
  };
}
