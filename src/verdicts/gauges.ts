import { boundedLabel, type Metrics } from '../lib/metrics.js';
import type { Logger } from '../lib/logger.js';
import type { VerdictSummary } from './summary.js';

/** How long one reading of the ledger serves the gauges: Prometheus scrapes every 15 s or so. */
export const GAUGE_TTL_MS = 30_000;

/**
 * How long a scrape waits for a reading once the gauges have values. Past it the scrape is answered with
 * the last values and the reading goes on: while Temporal is down, each scrape of the unauthenticated
 * /metrics otherwise waited for Temporal's timeout, and a scraper's own timeout could drop every other
 * metric with it. Before the first values a scrape waits for the reading (within Temporal's timeout).
 */
export const GAUGE_WAIT_MS = 1000;

/**
 * Keeps steadfast_alert_fatigue_score and steadfast_noisy_source current: read when /metrics is, from
 * the default summary, at most once per GAUGE_TTL_MS, failed readings included (they are logged and
 * leave the last values).
 */
export function watchVerdictGauges(
  metrics: Pick<Metrics, 'alertFatigue' | 'noisySources' | 'refreshVerdictGauges'>,
  summarize: () => Promise<VerdictSummary>,
  logger: Logger,
  now: () => number = Date.now,
): void {
  let readAt = -Infinity;
  let reading: Promise<void> | undefined;
  let read = false;
  metrics.refreshVerdictGauges = () => {
    if (now() - readAt < GAUGE_TTL_MS) return Promise.resolve();
    reading ??= summarize()
      .then((summary) => {
        setVerdictGauges(metrics, summary);
        read = true;
      })
      .catch((err: unknown) =>
        logger.warn({ event: 'verdicts.gauges-failed', err }, 'verdict gauges not read'),
      )
      .finally(() => {
        readAt = now();
        reading = undefined;
      });
    if (!read) return reading;
    const waited = new Promise<void>((resolve) => setTimeout(resolve, GAUGE_WAIT_MS).unref());
    return Promise.race([reading, waited]);
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
