import type { Client } from '@temporalio/client';
import type { OutcomeRecord } from '../domain/ranking.js';
import { INCIDENT_WORKFLOW_TYPE } from '../workflows/messages.js';
import { SA } from '../workflows/search-attributes.js';

/** Where a runbook's past results come from. */
export interface OutcomeHistory {
  record(runbookId: string, alertName: string, service: string): Promise<OutcomeRecord>;
}

// Values are quoted into a visibility query: only letters, digits and plain punctuation are looked up.
const QUOTABLE = /^[\p{L}\p{N} _.:/@+,()=-]{1,256}$/u;

/**
 * Past outcomes counted from Temporal visibility over the closed incidents' search attributes: the
 * incidents themselves are the record, so nothing else has to be stored or kept in sync.
 */
export function visibilityOutcomes(client: Client): OutcomeHistory {
  const count = async (clauses: string[]): Promise<number> =>
    Number((await client.workflow.count(clauses.join(' AND '))).count);
  return {
    async record(runbookId, alertName, service) {
      if (![runbookId, alertName, service].every((v) => QUOTABLE.test(v))) {
        return { successes: 0, failures: 0, scope: 'alert' };
      }
      const base = [
        `WorkflowType = '${INCIDENT_WORKFLOW_TYPE}'`,
        `${SA.runbook.name} = '${runbookId}'`,
        `${SA.alertName.name} = '${alertName}'`,
      ];
      const tally = async (clauses: string[]): Promise<[number, number]> =>
        Promise.all([
          count([...clauses, `${SA.outcome.name} = 'verified'`]),
          count([...clauses, `${SA.outcome.name} = 'failed'`]),
        ]);
      const [s, f] = await tally([...base, `${SA.service.name} = '${service}'`]);
      if (s + f > 0) return { successes: s, failures: f, scope: 'alert-and-service' };
      const [sa, fa] = await tally(base);
      return { successes: sa, failures: fa, scope: 'alert' };
    },
  };
}

/** No history: every runbook is untried (used where no Temporal client is wired, e.g. some tests). */
export const NO_HISTORY: OutcomeHistory = {
  record: async () => ({ successes: 0, failures: 0, scope: 'alert' }),
};
