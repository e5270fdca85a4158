/**
 * The unit part of `npm run bench:nab -- --units`: the same series read in other units. A user's metric
 * may be in bytes or gigabytes, degrees Celsius or kelvin, a count or its negation; what the detector finds
 * should not depend on which. Each change is applied to every value of the corpus, the series are scored
 * again and judged at the threshold the corpus as given chose, so the rows compare like with like.
 */
import { scoreSeries } from '../../src/detection/detector.js';
import type { CorpusFile, NamedProfile } from '../../src/nab/corpus.js';
import { scoreHeldOut } from '../../src/nab/holdout.js';
import { round } from './stats.js';

/** A change of unit: a name and what it does to one value. */
export interface UnitChange {
  readonly name: string;
  readonly apply: (value: number) => number;
}

/** Scale both ways, an offset (kelvin for Celsius is +273; 10,000 is a gauge far from zero), a sign. */
export const UNIT_CHANGES: readonly UnitChange[] = [
  { name: 'as given', apply: (v) => v },
  { name: 'x 1000', apply: (v) => v * 1000 },
  { name: '/ 1000', apply: (v) => v / 1000 },
  { name: '+ 273.15', apply: (v) => v + 273.15 },
  { name: '+ 10000', apply: (v) => v + 10_000 },
  { name: 'negated', apply: (v) => -v },
];

export interface UnitFigure {
  readonly change: string;
  readonly score: number;
  readonly windows_found: number;
  readonly false_alarms: number;
}

/** Each change's score, windows found and false alarms at `threshold` (standard profile); prints a table. */
export function unitFigures(
  files: readonly CorpusFile[],
  standard: NamedProfile,
  threshold: number,
  out: NodeJS.WritableStream = process.stdout,
  changes: readonly UnitChange[] = UNIT_CHANGES,
): UnitFigure[] {
  out.write(
    `\nthe same series in other units, at the threshold ${threshold.toFixed(4)} (standard profile)\n`,
  );
  out.write(`${'values'.padEnd(10)} ${'score'.padStart(7)} ${'found'.padStart(5)} ${'false'.padStart(5)}\n`);
  return changes.map(({ name, apply }) => {
    const scored = files.map((file) => ({
      ...file,
      scores: scoreSeries(Float64Array.from(file.values, apply), file.timestamps),
    }));
    const held = scoreHeldOut(scored, threshold, standard);
    out.write(
      `${name.padEnd(10)} ${held.normalized.toFixed(2).padStart(7)} ${String(held.windowsDetected).padStart(5)} ${String(held.falseAlarms).padStart(5)}\n`,
    );
    return {
      change: name,
      score: round(held.normalized),
      windows_found: held.windowsDetected,
      false_alarms: held.falseAlarms,
    };
  });
}
