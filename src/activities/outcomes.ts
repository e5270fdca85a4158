import type { Client } from '@temporalio/client';
import type { OutcomeRecord } from '../domain/ranking.js';
import { countIncidents, incidentFilterSchema, type IncidentFilter } from '../incidents/list.js';

/** Where a runbook's past results come from. */
export interface OutcomeHistory {
  record(runbookId: string, alertName: string, service: string): Promise<OutcomeRecord>;
}

/**
 * Past outcomes counted from Temporal visibility over the closed incidents' search attributes: the
 * incidents themselves are the record, so nothing else has to be stored or kept in sync.
 */
export function visibilityOutcomes(client: Client): OutcomeHistory {
  const tally = async (filter: IncidentFilter): Promise<[number, number]> =>
    Promise.all([
      countIncidents(client, { ...filter, outcome: 'verified' }),
      countIncidents(client, { ...filter, outcome: 'failed' }),
    ]);
  return {
    async record(runbookId, alertName, service) {
      const base = { runbook: runbookId, alertName };
      // A value that cannot be looked up (see filterValue) has no history rather than failing triage.
      if (!incidentFilterSchema.safeParse({ ...base, service }).success) {
        return { successes: 0, failures: 0, scope: 'alert' };
      }
      // Both counts at once: asking the wider one only after the narrow one found nothing cost a second
      // round trip to visibility on most incidents' way to their first action.
      const [[s, f], [sa, fa]] = await Promise.all([tally({ ...base, service }), tally(base)]);
      if (s + f > 0) return { successes: s, failures: f, scope: 'alert-and-service' };
      return { successes: sa, failures: fa, scope: 'alert' };
    },
  };
}

/** No history: every runbook is untried (used where no Temporal client is wired, e.g. some tests). */
export const NO_HISTORY: OutcomeHistory = {
  record: async () => ({ successes: 0, failures: 0, scope: 'alert' }),
};
