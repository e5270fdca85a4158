import { boundedLabel, type Metrics } from '../lib/metrics.js';
import type { Logger } from '../lib/logger.js';
import type { VerdictSummary } from './summary.js';

/** How long one reading of the ledger serves the gauges: Prometheus scrapes every 15 s or so. */
export const GAUGE_TTL_MS = 30_000;

/**
 * Keeps steadfast_alert_fatigue_score and steadfast_noisy_source current: read when /metrics is, from
 * the default summary, at most once per GAUGE_TTL_MS. A failed reading leaves the last values and logs.
 */
export function watchVerdictGauges(
  metrics: Pick<Metrics, 'alertFatigue' | 'noisySources' | 'refreshVerdictGauges'>,
  summarize: () => Promise<VerdictSummary>,
  logger: Logger,
  now: () => number = Date.now,
): void {
  let readAt = -Infinity;
  let reading: Promise<void> | undefined;
  metrics.refreshVerdictGauges = () => {
    if (now() - readAt < GAUGE_TTL_MS) return Promise.resolve();
    reading ??= summarize()
      .then((summary) => {
        readAt = now();
        setVerdictGauges(metrics, summary);
      })
      .catch((err: unknown) =>
        logger.warn({ event: 'verdicts.gauges-failed', err }, 'verdict gauges not read'),
      )
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
}

export function setVerdictGauges(
  metrics: Pick<Metrics, 'alertFatigue' | 'noisySources'>,
  summary: VerdictSummary,
): void {
  metrics.alertFatigue.set(summary.fatigue.score);
  // Only what is flagged now: a rule that stopped being noisy leaves the gauge.
  metrics.noisySources.reset();
  for (const f of summary.flagged) {
    metrics.noisySources.set({ kind: f.kind, name: boundedLabel(f.name) }, f.share);
  }
}
