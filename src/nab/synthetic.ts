/**
 * Synthetic series with known anomalies, a second check beside the NAB subset for what the subset lacks:
 * hourly, 5-minute and irregular spacing, daily and weekly seasonality, mostly-zero counts, heavy-tailed
 * routine spikes, level shifts that persist, and lengths from about a thousand to sixteen thousand rows.
 *
 * Seeded and deterministic: the same seed gives the same corpus, bit for bit. Windows follow NAB's rule
 * (a tenth of the series' rows shared between its anomalies, each window centred on the anomaly's first
 * row), so the same scorer judges them. Each category also holds a series without anomalies, where only
 * false alarms count. Pure: no I/O.
 */
import type { WindowRange } from './scorer.js';

/** One generated series, shaped as the corpus loader shapes a NAB series. */
export interface SyntheticSeries {
  /** `"<category>/<name>.csv"`. */
  readonly key: string;
  readonly rowCount: number;
  /** Epoch ms per row, strictly increasing. */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  readonly windows: readonly WindowRange[];
  /** The injected anomalies in row order, each with its first row (its window is centred there). */
  readonly anomalies: readonly Anomaly[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.UTC(2025, 0, 6); // a Monday

/** A small seeded generator (a 32-bit counter through an integer hash), uniform in [0, 1). */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return ((z ^ (z >>> 15)) >>> 0) / 4_294_967_296;
  };
}

type Random = () => number;
const normal = (rand: Random): number =>
  Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const between = (rand: Random, lo: number, hi: number): number => lo + (hi - lo) * rand();

/** Poisson counts: by multiplication for small means, a rounded normal beyond 30 (close enough there). */
function poisson(rand: Random, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rand)));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rand(); p > limit; p *= rand()) k++;
  return k;
}

/** Daily (peak mid-afternoon UTC) and weekly (weekends lower) shape at an instant, around 1. */
function season(t: number, daily: number, weekend: number): number {
  const day = Math.sin((2 * Math.PI * ((t - START) % DAY)) / DAY - Math.PI / 2);
  const weekday = Math.floor((t - START) / DAY) % 7;
  return (1 + daily * day) * (weekday >= 5 ? 1 - weekend : 1);
}

/** The kinds of injected anomaly; each acts on the clean signal from its onset. */
export type AnomalyKind = 'spike' | 'outage' | 'shift-up' | 'shift-down' | 'burst' | 'variance' | 'flat-day';

export interface Anomaly {
  readonly kind: AnomalyKind;
  readonly onset: number;
}

/** What one category's series are made of. */
interface Recipe {
  readonly category: string;
  /** Rows range. */
  readonly rows: readonly [number, number];
  readonly spacing: (rand: Random) => number;
  /** The clean (expected) value at an instant, before noise: level times season. */
  readonly expected: (t: number) => number;
  /** One observation around an expected value. */
  readonly observe: (rand: Random, expected: number) => number;
  readonly kinds: readonly AnomalyKind[];
}

const RECIPES: readonly Recipe[] = [
  {
    category: 'synthHourlyWeekly',
    rows: [1000, 2600],
    spacing: () => HOUR,
    expected: (t) => 120 * season(t, 0.4, 0.5),
    observe: (rand, e) => e * Math.exp(0.12 * normal(rand)),
    kinds: ['spike', 'outage', 'shift-up', 'flat-day'],
  },
  {
    category: 'synthFiveMinuteDaily',
    rows: [4000, 10000],
    spacing: () => 5 * MINUTE,
    expected: (t) => 40 * season(t, 0.5, 0.2),
    observe: (rand, e) => e + 2 * normal(rand),
    kinds: ['spike', 'shift-down', 'variance', 'flat-day'],
  },
  {
    category: 'synthIrregular',
    rows: [1500, 5000],
    // Mostly about five minutes apart, sometimes a gap of hours (a scraper that was down).
    spacing: (rand) => (rand() < 0.01 ? between(rand, 1, 6) * HOUR : between(rand, 1, 9) * MINUTE),
    expected: (t) => 0.6 * season(t, 0.3, 0),
    observe: (rand, e) => Math.max(0, e + 0.04 * normal(rand)),
    kinds: ['shift-up', 'variance', 'spike', 'outage'],
  },
  {
    category: 'synthSparseCounts',
    rows: [3000, 10000],
    spacing: () => 5 * MINUTE,
    expected: (t) => 0.25 * season(t, 0.8, 0.4),
    observe: (rand, e) => poisson(rand, e),
    kinds: ['burst', 'burst', 'shift-up'],
  },
  {
    category: 'synthHeavyTail',
    rows: [3000, 9000],
    spacing: () => 10 * MINUTE,
    expected: (t) => 30 * season(t, 0.3, 0.3),
    // Routine heavy-tailed bursts (Pareto, shape 1.3) on top of the counts: large but not anomalies.
    observe: (rand, e) => poisson(rand, e) + (rand() < 0.01 ? Math.round(10 / (1 - rand()) ** (1 / 1.3)) : 0),
    kinds: ['burst', 'outage', 'shift-up'],
  },
  // Appended after the first five so their series stay bit for bit what they were for each seed.
  {
    // Long count series (tweet volumes run to ~16k rows at 5 minutes): daily and weekly rate, bursts
    // and level shifts that persist for the rest of the series.
    category: 'synthLongCounts',
    rows: [10000, 16000],
    spacing: () => 5 * MINUTE,
    expected: (t) => 6 * season(t, 0.6, 0.4),
    observe: (rand, e) => poisson(rand, e),
    kinds: ['burst', 'shift-up', 'shift-down', 'spike'],
  },
  {
    // Hourly for half a year to a year, weekly rhythm, and level shifts that persist.
    category: 'synthHourlyLong',
    rows: [4000, 9000],
    spacing: () => HOUR,
    expected: (t) => 50 * season(t, 0.3, 0.35),
    observe: (rand, e) => e * Math.exp(0.1 * normal(rand)),
    kinds: ['shift-up', 'shift-down', 'spike', 'outage'],
  },
];

/** What a flat day needs to know: its length in rows and the level without the season. */
interface Shape {
  readonly rowsPerDay: number;
  readonly level: number;
}

/** The value at row `i` of a series whose clean value there is `e`, with the anomalies acting on it. */
function inject(anomalies: readonly Anomaly[], i: number, e: number, shape: Shape, rand: Random): number {
  let out = e;
  for (const { kind, onset } of anomalies) {
    const since = i - onset;
    if (since < 0) continue;
    if (kind === 'spike' && since === 0) out = e * 3 + 5 * Math.max(1, Math.sqrt(Math.abs(e)));
    else if (kind === 'outage' && since < 12) out = 0;
    else if (kind === 'shift-up') out *= 1.8;
    else if (kind === 'shift-down') out *= 0.55;
    else if (kind === 'burst' && since < 24) out = out * 10 + 2;
    else if (kind === 'variance' && since < 60) out += e * 0.4 * normal(rand);
    else if (kind === 'flat-day' && since < shape.rowsPerDay) out = shape.level;
  }
  return out;
}

/** Anomaly onsets past probation and far enough apart that their NAB windows never overlap. */
function placeAnomalies(rand: Random, rows: number, kinds: readonly AnomalyKind[], count: number): Anomaly[] {
  const width = Math.floor((0.1 * rows) / count);
  const first = Math.min(Math.floor(0.15 * rows), 750) + width;
  const span = Math.floor((rows - width - first) / count);
  return Array.from({ length: count }, (_, k) => ({
    kind: kinds[Math.floor(rand() * kinds.length)] ?? 'spike',
    onset: first + k * span + Math.floor(rand() * Math.max(1, span - width)),
  }));
}

/** One series of a recipe with `count` anomalies (0 for a series without). */
function generate(recipe: Recipe, name: string, rand: Random, count: number): SyntheticSeries {
  const rows = Math.round(between(rand, recipe.rows[0], recipe.rows[1]));
  const timestamps = new Float64Array(rows);
  for (let i = 1; i < rows; i++) timestamps[i] = (timestamps[i - 1] ?? 0) + recipe.spacing(rand);
  timestamps.forEach((t, i) => (timestamps[i] = START + t));
  const anomalies = placeAnomalies(rand, rows, recipe.kinds, count);
  // A flat day lasts a day of this series' rows, however they are spaced, at the level the season
  // swings around (6:00 on a Monday, where the daily term is zero).
  const meanStep = ((timestamps[rows - 1] ?? 0) - START) / (rows - 1);
  const shape = {
    rowsPerDay: Math.max(1, Math.round(DAY / meanStep)),
    level: recipe.expected(START + DAY / 4),
  };
  const values = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    values[i] = recipe.observe(
      rand,
      inject(anomalies, i, recipe.expected(timestamps[i] ?? START), shape, rand),
    );
  }
  const width = count === 0 ? 0 : Math.floor((0.1 * rows) / count);
  const windows = anomalies.map(({ onset }): WindowRange => {
    const l = Math.max(0, onset - Math.floor(width / 2));
    return [l, Math.min(rows - 1, l + width - 1)];
  });
  return {
    key: `${recipe.category}/${name}.csv`,
    rowCount: rows,
    timestamps,
    values,
    windows,
    anomalies,
  };
}

/** Where a glitch goes: a fifth of the way in, if that is before every window (else nowhere). */
export function glitchRow(series: Pick<SyntheticSeries, 'rowCount' | 'windows'>): number | undefined {
  const at = Math.floor(0.2 * series.rowCount);
  return series.windows.every(([l]) => l > at) ? at : undefined;
}

/**
 * The synthetic corpus for `seed`: per category seven series with one to three anomalies (thirteen in all) and two
 * without, in key order. With `glitch`, each series also holds that one value at its glitchRow (an
 * exporter's uint64 "unlimited", 1.8e19, read as a value), the rest bit for bit as without: whether one
 * absurd value blinds the detector to what comes after it.
 */
export function syntheticCorpus(seed = 1, glitch?: number): SyntheticSeries[] {
  const rand = randomSource(seed);
  const corpus = RECIPES.flatMap((recipe) =>
    [1, 2, 3, 1, 2, 3, 1, 0, 0].map((count, k) =>
      generate(recipe, `${recipe.category.slice(5).toLowerCase()}_${k}`, rand, count),
    ),
  ).sort((a, b) => (a.key < b.key ? -1 : 1));
  if (glitch === undefined) return corpus;
  for (const series of corpus) {
    const at = glitchRow(series);
    if (at !== undefined) series.values[at] = glitch;
  }
  return corpus;
}
