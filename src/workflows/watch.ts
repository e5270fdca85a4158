import { proxyActivities } from '@temporalio/workflow';
import type { IncidentActivities } from '../activities/index.js';
import type { WatchReport } from '../domain/watch.js';

// One evaluation per scheduled run; the Schedule itself is the retry (the next run comes soon).
const { evaluateWatches } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '30s',
  retry: { maximumAttempts: 2, nonRetryableErrorTypes: ['InvalidWatchFile', 'WatchUnavailable'] },
});

/** Run by the watch Schedule: evaluates the watches, opening predicted incidents before alerts fire. */
export async function watchWorkflow(): Promise<WatchReport> {
  return evaluateWatches();
}
