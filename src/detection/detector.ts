import { CoarseNovelty } from './coarse-novelty.js';
import { looksLikeCounts, stabiliseCount } from './count-scale.js';
import { ContextNovelty, type ContextOptions } from './context.js';
import { BeyondRange } from './extreme.js';
import { AnomalyLikelihood } from './likelihood.js';
import { RobustZ } from './robust-z.js';
import { SeasonalZ } from './seasonal-z.js';
import { EmpiricalTail } from './tail.js';
import { TrackRecord } from './track-record.js';

/**
 * The score at which the detector alarms: its threshold for NAB's standard profile, as measured by
 * `npm run bench:nab` (which prints it again, so a change to the detector shows when this drifts).
 */
export const ALARM_THRESHOLD = 0.221;

/**
 * The step in which an alarm's aftermath is counted when timestamps are given: five minutes, the spacing
 * of the series `suppressionDecay` and `refractorySteps` were measured on (NAB). Counted in rows, an
 * hourly series remembered an alarm twelve times as long as a 5-minute one: a spike 17 days after
 * another of the same height scored nothing (bench/README.md, sixth round). Without timestamps a step
 * is a row.
 */
export const STEP_MS = 300_000;

/**
 * An online anomaly detector: reads a series point by point and gives each point a score in [0, 1]
 * using only the points before it. The same parameters serve every series.
 */
export interface DetectorOptions {
  /**
   * Rows the detector reads before it speaks: they set the quantisation levels, decide whether the series
   * is counts, and start the likelihood and the seen range. One value for all of them.
   */
  warmupRows: number;
  context: Omit<ContextOptions, 'calibrationRows'>;
  /**
   * Coarser grains (rows per block mean) at which novelty is also asked, as a block mean at a level never
   * seen (src/detection/coarse-novelty.ts): a pyramid in steps of four. On NAB's development subset
   * [4, 16, 64] raised the standard score from 62.8 to 65.4 (when the grains still asked for new sequences
   * of block means); other pyramids measured 64.7 ([4, 16]; [2 .. 64] in steps of two) to 66.1 ([16, 32]).
   */
  coarseScales: readonly number[];
  /** Weight of the newest value in the running level and spread. */
  zAlpha: number;
  /** Robust z at which the z component reaches one half. */
  zHalf: number;
  /**
   * Per hour-of-day and per hour-of-week baselines: weight of a new value, and the earlier days (weeks)
   * in which an hour must have been seen before it has a say.
   */
  seasonal: { alpha: number; minPeriods: number };
  likelihood: { shortWindow: number; longAlpha: number; minStd: number };
  /** After a high score, later scores must beat it by this much, decaying at `suppressionDecay` a step (STEP_MS). */
  suppressionDecay: number;
  /** Steps (STEP_MS) after an alarm (a score at or above ALARM_THRESHOLD) during which nothing scores. */
  refractorySteps: number;
  /**
   * The overshoot beyond the seen range (in ranges) that scores 0.5; the overshoot from which a value
   * past the range is also judged by how rarely this series has overshot it that far (an empirical tail);
   * and how far past the seen range (in ranges) one value may teach the detector (see read).
   */
  beyond: { half: number; tailFrom: number; learnReach: number };
  /** Bins of the empirical tails: the coarse novelties, the z score, the raw signal's recent mean, the overshoot. */
  tailBins: number;
  /**
   * Multiplier on the smallest tail probability, for asking several tails at once. Three, not one per
   * tail: the coarse novelties mostly echo each other, and a factor of 6 for six tails lowered NAB's
   * standard score from 65.4 to 61.5 (the likelihood then decides more of the detections).
   */
  tailCorrection: number;
  /**
   * The history, in rows, beyond which a tail counts a value's rank instead of its share (src/detection/
   * tail.ts): 8,640, the window of HTM's anomaly likelihood (30 days at 5 minutes), not a value fitted here.
   */
  tailHistoryRows: number;
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = {
  warmupRows: 150,
  context: { levels: 16, lengths: [1, 2, 3, 5] },
  coarseScales: [4, 16, 64],
  zAlpha: 0.02,
  zHalf: 6,
  seasonal: { alpha: 0.05, minPeriods: 2 },
  likelihood: { shortWindow: 5, longAlpha: 0.002, minStd: 0.2 },
  suppressionDecay: 0.999,
  refractorySteps: 30,
  beyond: { half: 1, tailFrom: 0.1, learnReach: 2 },
  tailBins: 128,
  tailCorrection: 3,
  tailHistoryRows: 8640,
};

export class OnlineDetector {
  private readonly context: ContextNovelty;
  /** Each coarse grain's novelty and the empirical tail of it. */
  private readonly coarse: { novelty: CoarseNovelty; tail: EmpiricalTail }[];
  private readonly z: RobustZ;
  private readonly daily: SeasonalZ;
  private readonly weekly: SeasonalZ;
  /** The level's and the seasonal baselines' errors so far: whether a rhythm has been detected. */
  private readonly record = new TrackRecord(3);
  private readonly beyond: BeyondRange;
  private readonly likelihood: AnomalyLikelihood;
  private readonly zTail: EmpiricalTail;
  private readonly meanTail: EmpiricalTail;
  /** How far past its seen range this series has gone (0 on most rows): a record judged by its own past. */
  private readonly beyondTail: EmpiricalTail;
  /** The last `likelihood.shortWindow` raw signals (a ring) and their sum. */
  private readonly recent: Float64Array;
  private recentSum = 0;
  private rows = 0;
  private recentPeak = 0;
  /** Steps (STEP_MS, or rows without timestamps) since the last alarm. */
  private sinceAlarm = Number.POSITIVE_INFINITY;
  private lastTimestampMs: number | undefined;
  /** The warm-up's values and timestamps, held until the scale (counts or not) is decided. */
  private warmup: { value: number; timestampMs: number | undefined }[] | undefined = [];
  private scale: (value: number) => number = (value) => value;

  constructor(private readonly options: DetectorOptions = DEFAULT_DETECTOR_OPTIONS) {
    const context = { ...options.context, calibrationRows: options.warmupRows };
    this.context = new ContextNovelty(context);
    this.coarse = options.coarseScales.map((scale) => ({
      novelty: new CoarseNovelty(scale, context),
      tail: new EmpiricalTail(options.tailBins, options.tailHistoryRows),
    }));
    this.z = new RobustZ(options.zAlpha);
    this.daily = new SeasonalZ(options.seasonal.alpha, options.seasonal.minPeriods, 24);
    this.weekly = new SeasonalZ(options.seasonal.alpha, options.seasonal.minPeriods, 24 * 7);
    this.beyond = new BeyondRange(options.warmupRows);
    this.likelihood = new AnomalyLikelihood(
      options.likelihood.shortWindow,
      options.likelihood.longAlpha,
      options.warmupRows,
      options.likelihood.minStd,
    );
    this.zTail = new EmpiricalTail(options.tailBins, options.tailHistoryRows);
    this.meanTail = new EmpiricalTail(options.tailBins, options.tailHistoryRows);
    this.beyondTail = new EmpiricalTail(options.tailBins, options.tailHistoryRows);
    this.recent = new Float64Array(options.likelihood.shortWindow);
  }

  /**
   * Scores the next value (NaN or ±Infinity score 0 and are not learned). With its timestamp (epoch
   * ms), a value is only as unusual as it is at this hour of the day and of the week too. The first
   * `warmupRows` values score 0: they are held until the detector knows whether the series is counts
   * (then it reads them on a square-root scale), and then read.
   */
  update(value: number, timestampMs?: number): number {
    if (!Number.isFinite(value)) return 0;
    // A timestamp that is not a finite number is no timestamp: the value is still scored, by its rows.
    if (timestampMs !== undefined && !Number.isFinite(timestampMs)) timestampMs = undefined;
    const warmup = this.warmup;
    if (warmup === undefined) return this.read(this.scale(value), timestampMs);
    warmup.push({ value, timestampMs });
    if (warmup.length < this.options.warmupRows) return 0;
    this.warmup = undefined;
    if (looksLikeCounts(warmup.map((row) => row.value))) this.scale = stabiliseCount;
    for (const row of warmup) this.read(this.scale(row.value), row.timestampMs);
    return 0;
  }

  private read(input: number, timestampMs: number | undefined): number {
    // One value teaches at most `learnReach` seen ranges beyond what was seen: it is scored as it is, but
    // learned at the edge of that reach. A glitch (an exporter's 1.8e19 for "unlimited", a counter reset
    // read as a rate) otherwise stretched the seen range, the running level's spread, its hour's baseline
    // and the seasonal track record for weeks or for good: a spike to four times the level five days after
    // a value of 5,000 scored 0.26 instead of 0.91, and nothing after one of 1.8e19. A real shift far
    // beyond is learned within a few rows, the range tripling a row.
    // On NAB every reach from 1 to 8 leaves the held-out figures within 0.3 of none (bench/README.md,
    // eighteenth round).
    const value = this.beyond.learnable(input, this.options.beyond.learnReach);
    const overshoot = this.beyond.update(input, value);
    const novelty = this.context.update(value);
    let z = this.z.update(value);
    if (timestampMs !== undefined) z = this.seasonalZ(value, timestampMs, z);
    const zScore = z / (z + this.options.zHalf);
    const raw = Math.max(novelty, zScore);
    // The empirical tails: how rarely this series has produced a novelty at a coarse grain, a z score, or
    // a recent mean of the raw signal at least this high (1/(n + 1) for a first).
    // Unlike the likelihood they assume no shape: a signal that was always near 0 and now is not alarms
    // at once, while one with a long right tail does not.
    // The finest grain's novelty has no tail of its own: it takes five values, so its tail was mostly
    // "the first row whose every context is new", about once per noisy stretch of a long series, and
    // removing it took a sixth of the false alarms off the synthetic series (bench/README.md). It still
    // counts through the raw signal (its recent mean, the likelihood).
    const slot = this.rows % this.recent.length;
    this.recentSum += raw - (this.recent[slot] ?? 0);
    this.recent[slot] = raw;
    this.rows++;
    const recentMean = this.recentSum / Math.min(this.rows, this.recent.length);
    let tailP = Math.min(this.zTail.update(zScore), this.meanTail.update(recentMean));
    for (const grain of this.coarse) tailP = Math.min(tailP, grain.tail.update(grain.novelty.update(value)));
    const beyondScore = Number.isFinite(overshoot) ? overshoot / (overshoot + this.options.beyond.half) : 1;
    // A value past everything seen is scored by its distance in ranges, which is small when the range is
    // wide with noise: a record a fifth of the range up scored 0.16 however long the series had kept
    // inside it. Asked also how rarely the series has overshot this far, a stationary series' first such
    // record in thousands of rows alarms, while one whose range keeps growing (a trend, the first weeks of
    // a rhythm) has overshot often and does not. Overshoots under a tenth of the range count in its past
    // but are not asked: records of plain noise are mostly that small, and asking them too (from a
    // twentieth of the range, or from 0) added 15% to 55% more false alarms on the synthetic series
    // (bench/README.md, twelfth round).
    const beyondP = this.beyondTail.update(beyondScore);
    if (overshoot >= this.options.beyond.tailFrom) tailP = Math.min(tailP, beyondP);
    const tail =
      this.rows < this.options.warmupRows
        ? 0
        : logScale(1 - Math.min(1, this.options.tailCorrection * tailP));
    // What can echo: the signals an event keeps raising for a while, which set the bar below.
    const echoing = Math.max(
      logScale(this.likelihood.update(raw)),
      tail,
      Number.isFinite(overshoot) ? beyondScore : 0,
    );
    // A positive series' first zero (an infinite overshoot, src/detection/extreme.ts) scores 1 but sets
    // no bar: it happens once a series, so it has no echoes to silence, and a bar of 1 silenced the next
    // 1,500 rows (ten windows lost over five synthetic seeds; bench/README.md).
    const likely = Number.isFinite(overshoot) ? echoing : 1;
    // Only the first detection of an event counts: its echoes score nothing until they outgrow it
    // (the remembered peak fades by suppressionDecay a step). Before the empirical tails, NAB's standard
    // score fell from 56.9 to 40.4 without this, and halving echoes instead of silencing them gave 55.8.
    // A rising event outgrows its own peak row after row and would alarm on each; after an alarm the
    // detector therefore stays silent for refractorySteps (two and a half hours), as a pager does not page
    // again for the same event. NAB's standard score on the development subset: 65.4 without, 67.4-68.8
    // for 5 to 150 steps (68.4 at 30, chosen as a round value rather than the subset's best, 60); echoes
    // outside anomaly windows were the largest single cost before it.
    const steps = this.stepsSinceLast(timestampMs);
    this.sinceAlarm += steps;
    const quiet = this.sinceAlarm <= this.options.refractorySteps;
    const score = !quiet && likely > this.recentPeak ? likely : 0;
    if (score >= ALARM_THRESHOLD) this.sinceAlarm = 0;
    this.recentPeak = Math.max(this.recentPeak * this.options.suppressionDecay ** steps, echoing);
    return score;
  }

  /**
   * Time since the previous value in steps of STEP_MS, so an alarm's echoes fade and its pause lasts for
   * the same time at any spacing; one step (a row) when either value has no timestamp. A timestamp that
   * goes back counts as no time.
   */
  private stepsSinceLast(timestampMs: number | undefined): number {
    const last = this.lastTimestampMs;
    this.lastTimestampMs = timestampMs;
    if (timestampMs === undefined || last === undefined) return 1;
    return Math.max(0, timestampMs - last) / STEP_MS;
  }

  /**
   * How unusual a value is once its hour of the day and of the week are considered, given `z`, its
   * distance from the running level. While no seasonal baseline is detected (src/detection/
   * track-record.ts), one can only make a value less unusual: a rhythm the level does not follow is no
   * surprise. Once one is, its z is the value's, so a spike at a quiet hour, a drop within the daily
   * range or a day that lost its rhythm stand out against their hour (a rule that counted any baseline
   * predicting better than the level, not √½ as well, raised 60% more synthetic false alarms;
   * bench/README.md).
   */
  private seasonalZ(value: number, timestampMs: number, z: number): number {
    const daily = this.daily.update(value, timestampMs);
    const weekly = this.weekly.update(value, timestampMs);
    this.record.note(0, this.z.lastError);
    this.record.note(1, this.daily.lastError);
    this.record.note(2, this.weekly.lastError);
    const best = this.record.best();
    if (best === 1 && daily !== undefined) return daily;
    if (best === 2 && weekly !== undefined) return weekly;
    return Math.min(z, daily ?? z, weekly ?? z);
  }
}

/**
 * Rescales a detector score so that its alarm threshold reads 0.5: above one half means "the detector
 * alarms", for people and for thresholds in configuration alike. Monotone, so rankings do not change.
 */
export function calibrated(score: number): number {
  return score <= ALARM_THRESHOLD
    ? (0.5 * score) / ALARM_THRESHOLD
    : 0.5 + (0.5 * (score - ALARM_THRESHOLD)) / (1 - ALARM_THRESHOLD);
}

/**
 * Likelihoods crowd near 1 (0.99 is routine, 0.99999 is rare); on a log scale 0.9 → 0.1, 0.99999 → 0.5
 * and 1 - 1e-10 → 1, which reads as a score a person can judge.
 */
export function logScale(likelihood: number): number {
  return Math.min(1, Math.max(0, -Math.log10(1 - likelihood + 1e-10) / 10));
}

/** Scores a whole series, oldest first; timestamps (epoch ms) are optional. */
export function scoreSeries(
  values: ArrayLike<number>,
  timestamps?: ArrayLike<number>,
  options?: DetectorOptions,
): Float64Array {
  const detector = new OnlineDetector(options);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = detector.update(values[i] ?? Number.NaN, timestamps?.[i]);
  return out;
}
