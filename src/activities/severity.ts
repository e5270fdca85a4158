import { activityInfo } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Logger } from '../lib/logger.js';
import { severityClient } from '../severity/client.js';
import { outcomeLesson } from '../severity/lessons.js';
import type { IncidentClosed } from '../workflows/records.js';

/**
 * Teaches the severity model what a closed incident's outcome says (see outcomeLesson). It runs inside
 * the closing activity and never fails it: a lesson lost to an outage costs one example, while a
 * failure would retry the close and count its metrics twice. The lesson's key makes a retry harmless.
 */
export function severityLearner(temporal: Client, logger: Logger): (state: IncidentClosed) => Promise<void> {
  return async (state) => {
    const lesson = outcomeLesson(state);
    if (!lesson) return;
    try {
      await severityClient(temporal, activityInfo().taskQueue).learn({ lesson });
    } catch (err) {
      logger.warn(
        { event: 'severity.learn-failed', incidentId: state.incidentId, err: String(err) },
        `the severity model did not learn from incident ${state.incidentId}`,
      );
    }
  };
}
