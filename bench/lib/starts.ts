/**
 * The `--starts` part of `npm run bench:nab`: the leave-one-category-out protocol run again on the corpus
 * with each series' first rows left out, as if the detector had begun watching later, and the spread of
 * the held-out figures over those starts.
 */
import type { NamedProfile } from '../../src/nab/corpus.js';
import { categoriesOf, startingAt, type HoldoutReport, type LabelledSeries } from '../../src/nab/holdout.js';
import { holdoutFigures } from './holdout.js';
import { round } from './stats.js';

/** Parses `--starts`' comma-separated row counts, or says what is wrong with them. */
export function parseStarts(text: string, series: readonly LabelledSeries[]): number[] | string {
  const starts = text.split(',').map((part) => part.trim());
  const shortest = Math.min(...series.map((s) => s.rowCount));
  for (const part of starts) {
    const rows = Number(part);
    if (part === '' || !Number.isSafeInteger(rows) || rows < 0) {
      return `--starts takes whole numbers of rows >= 0, separated by commas; ${JSON.stringify(part)} is not one`;
    }
    if (rows >= shortest) return `--starts ${rows}: the shortest series has ${shortest} rows`;
  }
  return [...new Set(starts.map(Number))];
}

type Summary = Pick<HoldoutReport, 'worst' | 'mean' | 'pooled'>;

/** Runs the protocol at each start, prints the standard profile's table, and returns the JSON figures. */
export function startFigures(
  series: readonly LabelledSeries[],
  profiles: readonly NamedProfile[],
  starts: readonly number[],
  out: NodeJS.WritableStream = process.stdout,
): Record<string, unknown> {
  const byProfile = new Map<string, Summary[]>(profiles.map((p) => [p.name, []]));
  const categories = categoriesOf(series);
  const rows: string[] = [];
  for (const start of starts) {
    const { reports } = holdoutFigures(
      series.map((s) => startingAt(s, start)),
      profiles,
    );
    for (const [name, report] of reports) byProfile.get(name)?.push(report);
    const standard = reports.get('standard');
    if (standard === undefined) continue;
    const held = categories.map((c) => standard.folds.find((f) => f.category === c)?.heldOutScore ?? NaN);
    rows.push(row(String(start), [standard.worst, standard.mean, standard.pooled, ...held]));
  }
  const standard = byProfile.get('standard') ?? [];
  out.write(
    `\nSteadfast detector, held out (standard) by where it starts: each series without its first rows\n` +
      `${'rows left out'.padEnd(14)}${['worst', 'mean', 'pooled', ...categories.map(abbreviation)].map((h) => h.padStart(7)).join('')}\n` +
      rows.join('') +
      row('mean', [mean(standard, 'worst'), mean(standard, 'mean'), mean(standard, 'pooled')]) +
      row('lowest', [lowest(standard, 'worst'), lowest(standard, 'mean'), lowest(standard, 'pooled')]),
  );
  return {
    rows: starts,
    ...Object.fromEntries(
      [...byProfile].map(([name, reports]) => [
        name,
        Object.fromEntries(
          (['worst', 'mean', 'pooled'] as const).map((k) => [
            k,
            {
              each: reports.map((r) => round(r[k])),
              mean: round(mean(reports, k)),
              lowest: round(lowest(reports, k)),
            },
          ]),
        ),
      ]),
    ),
  };
}

const mean = (reports: readonly Summary[], k: keyof Summary): number =>
  reports.reduce((sum, r) => sum + r[k], 0) / reports.length;
const lowest = (reports: readonly Summary[], k: keyof Summary): number =>
  Math.min(...reports.map((r) => r[k]));

const row = (label: string, figures: readonly number[]): string =>
  `${label.padEnd(14)}${figures.map((x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a').padStart(7)).join('')}\n`;

/** A category's column heading, as NAB's names are long: its first letter and capitals (realKnownCause → rKC). */
const abbreviation = (category: string): string =>
  (category.slice(0, 1) + category.slice(1).replace(/[^A-Z]/g, '')).slice(0, 6);
