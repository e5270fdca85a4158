/** The synthetic part of `npm run bench:nab -- --synthetic`: scores the generated corpus (src/nab/synthetic.ts). */
import { standardProfile, type NamedProfile } from '../../src/nab/corpus.js';
import { categoriesOf, categoryOf, leaveOneCategoryOut, scoreHeldOut } from '../../src/nab/holdout.js';
import { optimizeThreshold, probationLength, type ScoredFile } from '../../src/nab/scorer.js';
import { syntheticCorpus, type SyntheticSeries } from '../../src/nab/synthetic.js';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detection/detector.js';
import { detectorScorer } from './holdout.js';

const round = (x: number): number | null => (Number.isFinite(x) ? Number(x.toFixed(2)) : null);

/**
 * Scores the synthetic corpus of `seed` three ways (standard profile unless said): at the threshold the
 * NAB corpus chose (`subsetThreshold`: nothing about these series chose it), per category there, and at
 * the synthetic set's own optimum for each profile; and leaving one synthetic category out. Prints a
 * table; returns the figures for the JSON line.
 */
export function syntheticFigures(
  seed: number,
  profiles: readonly NamedProfile[],
  subsetThreshold: number,
  out: NodeJS.WritableStream = process.stdout,
  glitch?: number,
): Record<string, unknown> {
  const standard = standardProfile(profiles);
  const series = syntheticCorpus(seed, glitch);
  const scored = series.map((s): ScoredFile => ({
    ...s,
    scores: detectorScorer(s, DEFAULT_DETECTOR_OPTIONS),
  }));
  const points = series.reduce((n, s) => n + s.rowCount, 0);
  const glitched = glitch === undefined ? '' : `, one value of ${glitch} in each series`;
  out.write(`\nsynthetic corpus (seed ${seed}${glitched}): ${series.length} series, ${points} points\n`);
  out.write(
    `${'category'.padEnd(24)} ${'windows'.padStart(7)} ${'found'.padStart(5)} ${'false'.padStart(5)} ${'at subset t'.padStart(11)}\n`,
  );
  const categories: Record<string, unknown> = {};
  for (const category of categoriesOf(series)) {
    const files = scored.filter((f) => categoryOf(f.key ?? '') === category);
    const held = scoreHeldOut(files, subsetThreshold, standard);
    const windows = files.reduce((n, f) => n + f.windows.length, 0);
    categories[category] = { score: round(held.normalized), false_alarms: held.falseAlarms };
    out.write(
      `${category.padEnd(24)} ${String(windows).padStart(7)} ${String(held.windowsDetected).padStart(5)} ${String(held.falseAlarms).padStart(5)} ${held.normalized.toFixed(2).padStart(11)}\n`,
    );
  }
  const atSubset = scoreHeldOut(scored, subsetThreshold, standard);
  const kinds = foundByKind(series, scored, subsetThreshold);
  const own = Object.fromEntries(
    profiles.map((p) => [p.name, round(optimizeThreshold(scored, p).normalizedScore)]),
  );
  const loco = leaveOneCategoryOut(
    series,
    [{ name: 'default', params: DEFAULT_DETECTOR_OPTIONS }],
    detectorScorer,
    standard,
  );
  out.write(
    `all, at the subset's threshold ${subsetThreshold.toFixed(4)}: ${atSubset.normalized.toFixed(2)}` +
      ` (found ${atSubset.windowsDetected}, ${atSubset.falseAlarms} false)\n` +
      `found by kind: ${Object.entries(kinds)
        .map(([k, [found, all]]) => `${k} ${found}/${all}`)
        .join(', ')}\n` +
      `all, at their own optimum: standard ${own['standard']}, low FP ${own['reward_low_FP_rate']}, low FN ${own['reward_low_FN_rate']}\n` +
      `leave one synthetic category out (standard): worst ${loco.worst.toFixed(2)}, mean ${loco.mean.toFixed(2)}\n`,
  );
  return {
    seed,
    ...(glitch === undefined ? {} : { glitch }),
    series: series.length,
    points,
    at_subset_threshold: round(atSubset.normalized),
    categories,
    found_by_kind: kinds,
    own_threshold: own,
    holdout: { worst: round(loco.worst), mean: round(loco.mean) },
  };
}

/** Per kind of injected anomaly: windows with a detection past probation at `threshold`, and all. */
function foundByKind(
  series: readonly SyntheticSeries[],
  scored: readonly ScoredFile[],
  threshold: number,
): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  series.forEach((s, i) => {
    const scores = scored[i]?.scores ?? [];
    const probation = probationLength(s.rowCount);
    s.anomalies.forEach((anomaly, k) => {
      const [l, r] = s.windows[k] ?? [0, -1];
      let found = false;
      for (let row = Math.max(l, probation); row <= r && !found; row++)
        found = (scores[row] ?? 0) >= threshold;
      const tally = (out[anomaly.kind] ??= [0, 0]);
      tally[0] += found ? 1 : 0;
      tally[1]++;
    });
  });
  return out;
}
