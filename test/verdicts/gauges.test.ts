import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { GAUGE_TTL_MS, GAUGE_WAIT_MS, watchVerdictGauges } from '../../src/verdicts/gauges.js';
import type { VerdictSummary } from '../../src/verdicts/summary.js';

const summary = (score: number): VerdictSummary =>
  ({ fatigue: { score }, flagged: [] }) as unknown as VerdictSummary;

/** The fatigue gauge as a scrape of /metrics shows it. */
async function scrapedFatigue(metrics: ReturnType<typeof createMetrics>): Promise<number> {
  const text = await metrics.registry.metrics();
  return Number(text.match(/^steadfast_alert_fatigue_score (\S+)$/m)?.[1]);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the verdict gauges while Temporal does not answer', () => {
  it('when a reading hangs, then a scrape answers with the last values after GAUGE_WAIT_MS, and one reading at a time goes on', async () => {
    vi.useFakeTimers();
    let clock = 0;
    const metrics = createMetrics();
    const pending: ((s: VerdictSummary) => void)[] = [];
    const summarize = vi.fn(() => new Promise<VerdictSummary>((resolve) => pending.push(resolve)));
    watchVerdictGauges(metrics, summarize, createLogger('silent'), () => clock);

    // The first scrape waits for the first reading: there is nothing to answer with before it.
    const first = scrapedFatigue(metrics);
    await vi.advanceTimersByTimeAsync(GAUGE_WAIT_MS * 5);
    pending.shift()?.(summary(2.5));
    expect(await first).toBe(2.5);

    // Past the TTL a new reading starts, and Temporal hangs: the scrape does not wait for it.
    clock += GAUGE_TTL_MS;
    let answered = false;
    const second = scrapedFatigue(metrics).then((v) => {
      answered = true;
      return v;
    });
    await vi.advanceTimersByTimeAsync(GAUGE_WAIT_MS - 1);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await second).toBe(2.5);
    // A scrape meanwhile shares the reading in flight instead of starting one of its own.
    const third = scrapedFatigue(metrics);
    await vi.advanceTimersByTimeAsync(GAUGE_WAIT_MS);
    expect(await third).toBe(2.5);
    expect(summarize).toHaveBeenCalledTimes(2);

    // The reading ends: the next scrape has its values.
    pending.shift()?.(summary(4));
    await vi.advanceTimersByTimeAsync(0);
    expect(await scrapedFatigue(metrics)).toBe(4);
  });

  it('when a reading fails, then the next one waits for the TTL instead of every scrape asking Temporal again', async () => {
    let clock = 0;
    const metrics = createMetrics();
    const summarize = vi
      .fn<() => Promise<VerdictSummary>>()
      .mockResolvedValueOnce(summary(1))
      .mockRejectedValue(new Error('Temporal is down'));
    watchVerdictGauges(metrics, summarize, createLogger('silent'), () => clock);

    expect(await scrapedFatigue(metrics)).toBe(1);
    clock += GAUGE_TTL_MS;
    expect(await scrapedFatigue(metrics)).toBe(1);
    expect(await scrapedFatigue(metrics)).toBe(1);
    expect(summarize).toHaveBeenCalledTimes(2);
    clock += GAUGE_TTL_MS;
    await scrapedFatigue(metrics);
    expect(summarize).toHaveBeenCalledTimes(3);
  });
});
