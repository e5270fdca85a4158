/**
 * Leave-one-category-out evaluation: a score that cannot flatter a detector designed while looking at
 * the corpus. For each category, whatever the detector chooses (its threshold, and which of several
 * candidate parameter sets) is chosen on the other categories only; the left-out category is then
 * scored with that choice. The worst and the mean of those held-out scores say how the detector does
 * on series of a kind it was not tuned on.
 *
 * Pure: series in, scores out. The splitting is structural: `chooseOnTrain` receives the training
 * series and nothing else, so a held-out series cannot move the choice made for its own fold.
 */
import {
  countWindows,
  normalizeScore,
  optimizeThreshold,
  rowWeights,
  scoreFile,
  type CostProfile,
  type FileLabels,
  type ScoredFile,
  type WindowRange,
} from './scorer.js';

/** A labelled series: enough for a detector to score it and for the scorer to judge the scores. */
export interface LabelledSeries extends FileLabels {
  /** `"<category>/<file>.csv"`. */
  readonly key: string;
  readonly values: ArrayLike<number>;
  /** Epoch ms per row. */
  readonly timestamps: ArrayLike<number>;
}

/**
 * The series as a detector that began watching `rows` rows later sees it: those rows are gone, a window
 * that ended within them goes too, and one under way is cut to the new first row. Why: an online
 * detector learns its levels, spreads and the bars of its tails from the rows it reads first, and a
 * service's metric is first read wherever it stands when someone starts watching it; the held-out
 * figures at one start say little of that.
 */
export function startingAt(series: LabelledSeries, rows: number): LabelledSeries {
  if (!Number.isSafeInteger(rows) || rows < 0 || rows >= series.rowCount) {
    throw new RangeError(`${series.key}: cannot start at row ${rows} of ${series.rowCount}`);
  }
  const later = (a: ArrayLike<number>): Float64Array =>
    Float64Array.from({ length: series.rowCount - rows }, (_, i) => a[i + rows] ?? Number.NaN);
  return {
    key: series.key,
    rowCount: series.rowCount - rows,
    values: later(series.values),
    timestamps: later(series.timestamps),
    windows: series.windows
      .filter(([, end]) => end >= rows)
      .map(([start, end]): WindowRange => [Math.max(0, start - rows), end - rows]),
  };
}

/** One parameter set the protocol may choose, named for the report. */
export interface Candidate<P> {
  readonly name: string;
  readonly params: P;
}

/** Scores one series with one parameter set; must depend on that series and those parameters only. */
export type SeriesScorer<P> = (series: LabelledSeries, params: P) => ArrayLike<number>;

/** The category of a corpus key: the folder before the first `/`. */
export function categoryOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/** The categories of a corpus in first-seen order. */
export function categoriesOf(series: readonly { key: string }[]): string[] {
  return [...new Set(series.map((s) => categoryOf(s.key)))];
}

/** The choice made on a fold's training series. */
export interface TrainedChoice {
  /** Index into the candidates. */
  readonly candidate: number;
  /** The threshold that maximised the training series' raw score with that candidate. */
  readonly threshold: number;
  /** The training series' normalised score there. */
  readonly trainScore: number;
}

/**
 * Picks the candidate and threshold that score best on `train` (ties go to the earlier candidate, so
 * list the default first). Receives the training series only.
 */
export function chooseOnTrain<P>(
  train: readonly LabelledSeries[],
  candidates: readonly Candidate<P>[],
  score: SeriesScorer<P>,
  profile: CostProfile,
): TrainedChoice {
  let best: TrainedChoice | undefined;
  candidates.forEach((candidate, index) => {
    const scored = train.map((s): ScoredFile => ({ ...s, scores: score(s, candidate.params) }));
    const optimum = optimizeThreshold(scored, profile);
    if (best === undefined || optimum.normalizedScore > best.trainScore) {
      best = { candidate: index, threshold: optimum.threshold, trainScore: optimum.normalizedScore };
    }
  });
  if (best === undefined) throw new Error('no candidate parameter set to choose from');
  return best;
}

/** A held-out category's result. */
export interface HoldoutFold extends TrainedChoice {
  readonly category: string;
  readonly series: number;
  readonly windows: number;
  /** Raw NAB score of the category's series at the chosen threshold. */
  readonly heldOutRaw: number;
  /** Normalised held-out score; `NaN` for a category without windows (only false alarms can count). */
  readonly heldOutScore: number;
  /** Detections outside every window (rows past probation), the cost a category without windows shows. */
  readonly falseAlarms: number;
  readonly windowsDetected: number;
}

/** Every fold and their summary. */
export interface HoldoutReport {
  readonly folds: readonly HoldoutFold[];
  /** Lowest held-out score among categories with windows. */
  readonly worst: number;
  /** Mean held-out score over categories with windows. */
  readonly mean: number;
  /** All held-out raw scores summed and normalised over the whole corpus (each fold's own threshold). */
  readonly pooled: number;
}

/** Scores held-out series at a threshold chosen elsewhere. */
export function scoreHeldOut(
  test: readonly ScoredFile[],
  threshold: number,
  profile: CostProfile,
): { raw: number; normalized: number; falseAlarms: number; windowsDetected: number } {
  let raw = 0;
  let falseAlarms = 0;
  let windowsDetected = 0;
  for (const file of test) {
    const result = scoreFile(rowWeights(file, profile), file.scores, threshold);
    raw += result.score;
    falseAlarms += result.fp;
    windowsDetected += result.windowsDetected;
  }
  return { raw, normalized: normalizeScore(raw, countWindows(test), profile), falseAlarms, windowsDetected };
}

/**
 * Leave-one-category-out: per category, the choice is made on the other categories' series and the
 * category is scored with it.
 */
export function leaveOneCategoryOut<P>(
  series: readonly LabelledSeries[],
  candidates: readonly Candidate<P>[],
  score: SeriesScorer<P>,
  profile: CostProfile,
): HoldoutReport {
  const folds = categoriesOf(series).map((category): HoldoutFold => {
    const train = series.filter((s) => categoryOf(s.key) !== category);
    const test = series.filter((s) => categoryOf(s.key) === category);
    const choice = chooseOnTrain(train, candidates, score, profile);
    const params = candidates[choice.candidate]?.params as P;
    const scored = test.map((s): ScoredFile => ({ ...s, scores: score(s, params) }));
    const held = scoreHeldOut(scored, choice.threshold, profile);
    return {
      ...choice,
      category,
      series: test.length,
      windows: countWindows(test),
      heldOutRaw: held.raw,
      heldOutScore: held.normalized,
      falseAlarms: held.falseAlarms,
      windowsDetected: held.windowsDetected,
    };
  });
  const judged = folds.filter((f) => f.windows > 0).map((f) => f.heldOutScore);
  const pooledRaw = folds.reduce((sum, f) => sum + f.heldOutRaw, 0);
  return {
    folds,
    worst: judged.length === 0 ? NaN : Math.min(...judged),
    mean: judged.length === 0 ? NaN : judged.reduce((a, b) => a + b, 0) / judged.length,
    pooled: normalizeScore(pooledRaw, countWindows(series), profile),
  };
}

/**
 * Memoises a scorer per (series, parameter set) object pair, so the folds, which each score every
 * series again, run the detector once per series and candidate.
 */
export function memoised<P extends object>(score: SeriesScorer<P>): SeriesScorer<P> {
  const cache = new WeakMap<LabelledSeries, WeakMap<P, ArrayLike<number>>>();
  return (series, params) => {
    let bySeries = cache.get(series);
    if (bySeries === undefined) {
      bySeries = new WeakMap();
      cache.set(series, bySeries);
    }
    let scores = bySeries.get(params);
    if (scores === undefined) {
      scores = score(series, params);
      bySeries.set(params, scores);
    }
    return scores;
  };
}
