import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';

/** How a runbook has done on similar incidents: remediations verified, and remediations that failed. */
export interface OutcomeRecord {
  successes: number;
  failures: number;
  /** What "similar" meant for these numbers: same alert on the same service, or same alert anywhere. */
  scope: 'alert-and-service' | 'alert';
}

export interface RankedRunbook {
  runbookId: string;
  record: OutcomeRecord;
  /** Upper bound of the success rate's posterior (Beta(1 + successes, 1 + failures)) at the quantile. */
  upperBound: number;
}

/** The posterior quantile ranked on: high enough that an untried runbook (0.9) beats a mediocre one. */
export const RANKING_QUANTILE = 0.9;

/**
 * Ranks runbooks by the upper quantile of their success rate's Beta posterior (Bayes-UCB): a runbook
 * that worked nearly every time stays on top, one that keeps failing sinks, and one never tried is
 * optimistic enough to be tried over a mediocre one. Deterministic; ties keep the given order (the
 * runbooks' specificity).
 */
export function rankByOutcomes(
  runbookIds: readonly string[],
  records: ReadonlyMap<string, OutcomeRecord>,
  quantile = RANKING_QUANTILE,
): RankedRunbook[] {
  return runbookIds
    .map((runbookId, order) => {
      const record = records.get(runbookId) ?? { successes: 0, failures: 0, scope: 'alert' as const };
      return {
        runbookId,
        record,
        upperBound: betaQuantile(quantile, 1 + record.successes, 1 + record.failures),
        order,
      };
    })
    .sort((a, b) => b.upperBound - a.upperBound || a.order - b.order)
    .map(({ runbookId, record, upperBound }) => ({ runbookId, record, upperBound }));
}

function track(r: RankedRunbook, alertName: string, service: string): string {
  const tried = r.record.successes + r.record.failures;
  const where = r.record.scope === 'alert-and-service' ? `${alertName} on ${service}` : alertName;
  return tried === 0
    ? `no similar incident (${where}) has used it yet`
    : `it fixed ${r.record.successes} of ${tried} similar incidents (${where})`;
}

/** One sentence, with the numbers, on why the first runbook was picked. */
export function explainRanking(ranked: readonly RankedRunbook[], alertName: string, service: string): string {
  const [best, next] = ranked;
  if (!best) return '';
  const why = `"${best.runbookId}" was picked because ${track(best, alertName, service)}`;
  if (!next) return `${why}.`;
  return `${why}, ahead of "${next.runbookId}" (${track(next, alertName, service).replace(/^it /, '')}).`;
}
