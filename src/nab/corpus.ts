/**
 * Loading a NAB-layout corpus from disk: the series, their anomaly windows and the scoring profiles.
 *
 * This is the only NAB module that does I/O; everything it returns is plain data for the pure
 * functions of `scorer.ts`.
 *
 * Layout (the NAB repository's, and `../shared/benchmarks/nab/`'s):
 * ```
 * <dir>/combined_windows.json   {"<category>/<file>.csv": [["<start>", "<end>"], ...]}
 * <dir>/profiles.json           {"<profile>": {"CostMatrix": {"tpWeight", "fpWeight", "fnWeight", ...}}}
 * <dir>/data/<category>/<file>.csv   timestamp,value (header row, time order)
 * ```
 * The category folders may also sit directly in `<dir>` (no `data/` level).
 *
 * Timestamps are `YYYY-MM-DD HH:MM:SS[.ffffff]` without a zone; they are read as UTC and returned as
 * epoch milliseconds, which is only ever used to compare instants.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { CostProfile, FileLabels, WindowRange } from './scorer.js';

/** One series of the corpus. */
export interface CorpusFile extends FileLabels {
  /** `"<category>/<file>.csv"`, the key used by `combined_windows.json` and the reference score files. */
  readonly key: string;
  /** Number of rows `N` (= `timestamps.length`), so a `CorpusFile` is a scorer `FileLabels`. */
  readonly rowCount: number;
  /** Row timestamps, epoch milliseconds (UTC), in file order. */
  readonly timestamps: Float64Array;
  /** Row values (the `value` column), in file order. */
  readonly values: Float64Array;
  /**
   * Anomaly windows as inclusive row-index ranges `[L, R]`, in time order, not overlapping:
   * `L` is the first row at or after the window's start instant, `R` the last row at or before its end.
   */
  readonly windows: readonly WindowRange[];
}

/** A named scoring profile (`profiles.json` entry). */
export interface NamedProfile extends CostProfile {
  readonly name: string;
}

/** A parsed two-column-or-more CSV of the NAB kind: a timestamp column then numeric columns. */
export interface ParsedSeries {
  /** Header names of the numeric columns (everything after the first column). */
  readonly columns: readonly string[];
  /** Epoch milliseconds, one per data row. */
  readonly timestamps: Float64Array;
  /** One array per entry of `columns`, one number per data row (`NaN` where a cell is empty). */
  readonly data: readonly Float64Array[];
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/;

/**
 * Parses a NAB timestamp (`YYYY-MM-DD HH:MM:SS[.ffffff]`, also with `T` as separator) as UTC.
 * Returns epoch milliseconds; sub-millisecond digits are kept as a fraction. Throws on anything else.
 */
export function parseTimestamp(text: string): number {
  const s = text.trim();
  const m = TS_RE.exec(s);
  if (m === null) {
    throw new Error(`unparseable timestamp: ${JSON.stringify(text)}`);
  }
  const [, y, mo, d, h, mi, sec, frac] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0));
  return frac === undefined ? ms : ms + Number(`0.${frac}`) * 1000;
}

/**
 * Parses CSV text whose first column is a timestamp and the others numbers (no quoting, as in NAB).
 * Accepts `\n` or `\r\n` line ends, a missing final newline and blank lines (skipped).
 */
export function parseSeriesCsv(text: string, name = 'csv'): ParsedSeries {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').replace(/\r$/, '').split(',');
  if (header.length < 2) {
    throw new Error(`${name}: expected a header with a timestamp and at least one value column`);
  }
  const columns = header.slice(1).map((c) => c.trim());
  const capacity = lines.length - 1;
  const timestamps = new Float64Array(capacity);
  const data = columns.map(() => new Float64Array(capacity));
  let n = 0;
  for (let li = 1; li < lines.length; li++) {
    let line = lines[li] ?? '';
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0) continue;
    const cells = line.split(',');
    timestamps[n] = parseTimestamp(cells[0] ?? '');
    for (let c = 0; c < columns.length; c++) {
      const cell = cells[c + 1];
      const column = data[c];
      if (column !== undefined) column[n] = cell === undefined || cell.trim() === '' ? NaN : Number(cell);
    }
    n++;
  }
  return { columns, timestamps: timestamps.slice(0, n), data: data.map((col) => col.slice(0, n)) };
}

/** The numeric column called `column` of a parsed series; throws naming the file if it is absent. */
export function seriesColumn(series: ParsedSeries, column: string, name = 'csv'): Float64Array {
  const i = series.columns.indexOf(column);
  const col = series.data[i];
  if (i < 0 || col === undefined) {
    throw new Error(`${name}: no column ${JSON.stringify(column)} (has ${series.columns.join(', ')})`);
  }
  return col;
}

/**
 * Maps windows given as instants (epoch ms) to inclusive row ranges of `timestamps` (ascending):
 * `L` = first row with timestamp >= start, `R` = last row with timestamp <= end.
 * Throws if a window holds no row or windows overlap (NAB's never do), naming `name`.
 */
export function windowsToRows(
  timestamps: ArrayLike<number>,
  windows: readonly (readonly [number, number])[],
  name = 'file',
): WindowRange[] {
  const n = timestamps.length;
  const lowerBound = (x: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((timestamps[mid] ?? Infinity) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const upperBound = (x: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((timestamps[mid] ?? Infinity) <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const ranges = windows
    .map(([start, end]): WindowRange => [lowerBound(start), upperBound(end) - 1])
    .sort((a, b) => a[0] - b[0]);
  ranges.forEach(([l, r], k) => {
    if (r < l) throw new Error(`${name}: window ${k} holds no row`);
    const prev = ranges[k - 1];
    if (prev !== undefined && l <= prev[1]) throw new Error(`${name}: windows ${k - 1} and ${k} overlap`);
  });
  return ranges;
}

/** The folder holding the category folders: `<dir>/data` if it exists, else `<dir>` itself. */
export function corpusDataDir(dir: string): string {
  const data = join(dir, 'data');
  return existsSync(data) ? data : dir;
}

/**
 * Lists `"<category>/<file>.csv"` for every csv in every category folder under `root`, sorted.
 * Folders with no csv (e.g. a `reference` folder holding only sub-folders) contribute nothing.
 */
async function listCategoryCsvs(root: string): Promise<string[]> {
  const keys: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    for (const file of await readdir(join(root, entry.name), { withFileTypes: true })) {
      if (file.isFile() && file.name.endsWith('.csv')) keys.push(`${entry.name}/${file.name}`);
    }
  }
  return keys.sort();
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Reads `combined_windows.json`: file key -> windows as `[startMs, endMs]` instants.
 * Throws on a malformed entry.
 */
export async function loadWindows(path: string): Promise<Map<string, [number, number][]>> {
  const raw: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!isRecord(raw)) throw new Error(`${path}: expected an object`);
  const out = new Map<string, [number, number][]>();
  for (const [key, list] of Object.entries(raw)) {
    if (!Array.isArray(list)) throw new Error(`${path}: ${key}: expected a list of windows`);
    out.set(
      key,
      list.map((w: unknown, k): [number, number] => {
        if (!Array.isArray(w) || w.length !== 2 || typeof w[0] !== 'string' || typeof w[1] !== 'string') {
          throw new Error(`${path}: ${key}: window ${k} is not [start, end]`);
        }
        return [parseTimestamp(w[0]), parseTimestamp(w[1])];
      }),
    );
  }
  return out;
}

/**
 * Reads `<dir>/profiles.json` (or the file `dir` itself if it ends in `.json`), in file order.
 * Throws if a profile lacks a numeric `tpWeight`, `fpWeight` or `fnWeight`.
 */
export async function loadProfiles(dir: string): Promise<NamedProfile[]> {
  const path = dir.endsWith('.json') ? dir : join(dir, 'profiles.json');
  const raw: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!isRecord(raw)) throw new Error(`${path}: expected an object`);
  return Object.entries(raw).map(([name, entry]): NamedProfile => {
    const cm = isRecord(entry) ? entry['CostMatrix'] : undefined;
    if (!isRecord(cm)) throw new Error(`${path}: ${name}: no CostMatrix`);
    const weight = (k: string): number => {
      const v = cm[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${path}: ${name}: bad ${k}`);
      return v;
    };
    return { name, tpWeight: weight('tpWeight'), fpWeight: weight('fpWeight'), fnWeight: weight('fnWeight') };
  });
}

/** The profile named `standard`, which every single-profile figure is judged by; throws if there is none. */
export function standardProfile(profiles: readonly NamedProfile[]): NamedProfile {
  const standard = profiles.find((p) => p.name === 'standard');
  if (standard === undefined) throw new Error('profiles.json has no standard profile');
  return standard;
}

/**
 * Loads every series under `dir` (see the module comment for the layout) with its windows from
 * `<dir>/combined_windows.json`, sorted by key. A series absent from the windows file is an error;
 * window entries for series not on disk are ignored (so a subset of the corpus can be scored).
 */
export async function loadCorpus(dir: string): Promise<CorpusFile[]> {
  const windows = await loadWindows(join(dir, 'combined_windows.json'));
  const root = corpusDataDir(dir);
  const keys = await listCategoryCsvs(root);
  return Promise.all(
    keys.map(async (key): Promise<CorpusFile> => {
      const fileWindows = windows.get(key);
      if (fileWindows === undefined) throw new Error(`${key}: not in combined_windows.json`);
      const series = parseSeriesCsv(await readFile(join(root, key), 'utf8'), key);
      const values = seriesColumn(series, 'value', key);
      return {
        key,
        rowCount: series.timestamps.length,
        timestamps: series.timestamps,
        values,
        windows: windowsToRows(series.timestamps, fileWindows, key),
      };
    }),
  );
}

/** One detector's per-row output for one series. */
export interface DetectorResult {
  /** `"<category>/<file>.csv"`, the corpus key (without the detector prefix). */
  readonly key: string;
  /** Epoch milliseconds per row. */
  readonly timestamps: Float64Array;
  /** The `anomaly_score` column, one per row, in [0, 1]. */
  readonly scores: Float64Array;
}

/**
 * Loads NAB results of `detector` from `<resultsDir>/<detector>/<category>/<detector>_<file>.csv`
 * (the layout of NAB's `results/` and of this benchmark's `reference/`), keyed by corpus key.
 */
export async function loadDetectorResults(
  resultsDir: string,
  detector: string,
): Promise<Map<string, DetectorResult>> {
  const root = join(resultsDir, detector);
  const prefix = `${detector}_`;
  const out = new Map<string, DetectorResult>();
  for (const path of await listCategoryCsvs(root)) {
    const [category] = path.split('/');
    const file = basename(path);
    if (category === undefined || !file.startsWith(prefix)) continue;
    const key = `${category}/${file.slice(prefix.length)}`;
    const series = parseSeriesCsv(await readFile(join(root, path), 'utf8'), path);
    out.set(key, { key, timestamps: series.timestamps, scores: seriesColumn(series, 'anomaly_score', path) });
  }
  return out;
}
