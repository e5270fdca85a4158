/** The leave-one-category-out part of `npm run bench:nab`: runs the protocol and prints its table. */
import { DEFAULT_DETECTOR_OPTIONS, scoreSeries, type DetectorOptions } from '../../src/detection/detector.js';
import type { NamedProfile } from '../../src/nab/corpus.js';
import {
  leaveOneCategoryOut,
  memoised,
  type Candidate,
  type HoldoutReport,
  type LabelledSeries,
  type SeriesScorer,
} from '../../src/nab/holdout.js';

export interface HoldoutFigures {
  readonly reports: ReadonlyMap<string, HoldoutReport>;
  /** For the bench's JSON line: per profile the worst, mean and pooled held-out score and each category's. */
  readonly json: Record<string, unknown>;
}

const round = (x: number): number | null => (Number.isFinite(x) ? Number(x.toFixed(2)) : null);

/** The detector as the protocol sees it: one series, one parameter set. */
export const detectorScorer = memoised((series: LabelledSeries, params: DetectorOptions) =>
  scoreSeries(series.values, series.timestamps, params),
);

/**
 * Runs the protocol for every profile. With one candidate (the detector's defaults) only the threshold
 * is chosen per fold; more candidates make the parameter set a choice of the fold as well.
 */
export function holdoutFigures<P extends object = DetectorOptions>(
  series: readonly LabelledSeries[],
  profiles: readonly NamedProfile[],
  candidates: readonly Candidate<P>[] = [{ name: 'default', params: DEFAULT_DETECTOR_OPTIONS as P }],
  scorer: SeriesScorer<P> = detectorScorer as unknown as SeriesScorer<P>,
): HoldoutFigures {
  const reports = new Map<string, HoldoutReport>();
  const json: Record<string, unknown> = {};
  for (const profile of profiles) {
    const report = leaveOneCategoryOut(series, candidates, scorer, profile);
    reports.set(profile.name, report);
    json[profile.name] = {
      worst: round(report.worst),
      mean: round(report.mean),
      pooled: round(report.pooled),
      categories: Object.fromEntries(
        report.folds.map((f) => [
          f.category,
          {
            score: round(f.heldOutScore),
            threshold: f.threshold,
            windows_found: f.windowsDetected,
            false_alarms: f.falseAlarms,
            ...(candidates.length > 1 ? { candidate: candidates[f.candidate]?.name } : {}),
          },
        ]),
      ),
    };
  }
  return { reports, json };
}

/**
 * A published detector's per-row scores (NAB's `reference/<detector>/` layout, loaded by
 * `loadDetectorResults`) as a scorer, so it is put through the same protocol.
 */
export function referenceScorer(
  results: ReadonlyMap<string, { scores: Float64Array }>,
): SeriesScorer<object> {
  return (series) => {
    const scores = results.get(series.key)?.scores;
    if (scores?.length !== series.rowCount)
      throw new Error(`${series.key}: no reference scores of its length`);
    return scores;
  };
}

/** Prints the standard profile's folds, then each profile's worst, mean and pooled held-out score. */
export function printHoldout(
  figures: HoldoutFigures,
  title = 'Steadfast detector',
  out: NodeJS.WritableStream = process.stdout,
): void {
  const standard = figures.reports.get('standard');
  if (standard !== undefined) {
    out.write(
      `\n${title}, leave one category out (standard): threshold chosen on the other categories\n` +
        `${'held-out category'.padEnd(24)} ${'series'.padStart(6)} ${'windows'.padStart(7)} ${'found'.padStart(5)} ${'false'.padStart(5)} ${'threshold'.padStart(9)} ${'train'.padStart(6)} ${'held-out'.padStart(8)}\n`,
    );
    for (const f of standard.folds) {
      const held = Number.isFinite(f.heldOutScore) ? f.heldOutScore.toFixed(2) : 'n/a';
      out.write(
        `${f.category.padEnd(24)} ${String(f.series).padStart(6)} ${String(f.windows).padStart(7)} ${String(f.windowsDetected).padStart(5)} ${String(f.falseAlarms).padStart(5)} ${f.threshold.toFixed(4).padStart(9)} ${f.trainScore.toFixed(2).padStart(6)} ${held.padStart(8)}\n`,
      );
    }
  }
  out.write(
    `\n${'profile'.padEnd(20)} ${'worst'.padStart(7)} ${'mean'.padStart(7)} ${'pooled'.padStart(7)}\n`,
  );
  for (const [name, r] of figures.reports) {
    out.write(
      `${name.padEnd(20)} ${r.worst.toFixed(2).padStart(7)} ${r.mean.toFixed(2).padStart(7)} ${r.pooled.toFixed(2).padStart(7)}\n`,
    );
  }
}
