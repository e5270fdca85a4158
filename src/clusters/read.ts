import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident.js';
import { alertIncidentQuery } from '../incidents/alerts.js';
import { stateQuery } from '../workflows/messages.js';

/**
 * The incidents clustering looks at: open ones, and those closed within the recent window, read as the
 * alerts API reads them (visibility finds them, each one's state query gives its alerts).
 */

/** How far back closed incidents are considered. */
export const RECENT_MS = 24 * 3600_000;
/** States queried at once. */
const QUERIES_AT_ONCE = 5;

export interface IncidentSource {
  client: Client;
  /** Bounds one call to Temporal (see the API's temporalTimeoutMs). */
  bounded: <T>(fn: () => Promise<T>) => Promise<T>;
}

export interface ReadIncident {
  status: 'open' | 'closed';
  state: IncidentState;
}

export interface ReadIncidents {
  incidents: ReadIncident[];
  /** Incidents whose state could not be read (no worker answered in time). */
  unanswered: string[];
}

/** The newest `limit` open or recently closed incidents (of one service, if given), with their states. */
export async function readRecentIncidents(
  source: IncidentSource,
  filter: { service?: string; limit: number; now: number },
): Promise<ReadIncidents> {
  const since = new Date(filter.now - RECENT_MS).toISOString();
  const query = alertIncidentQuery({ ...(filter.service ? { service: filter.service } : {}), since });
  const listed = await source.bounded(async () => {
    const out: { id: string; open: boolean }[] = [];
    for await (const wf of source.client.workflow.list({ query, pageSize: Math.min(filter.limit, 100) })) {
      out.push({ id: wf.workflowId, open: wf.status.name === 'RUNNING' });
      if (out.length >= filter.limit) break;
    }
    return out;
  });
  const incidents: ReadIncident[] = [];
  const unanswered: string[] = [];
  for (let i = 0; i < listed.length; i += QUERIES_AT_ONCE) {
    const batch = listed.slice(i, i + QUERIES_AT_ONCE).map(async ({ id, open }) => {
      try {
        const state = await source.bounded(() => source.client.workflow.getHandle(id).query(stateQuery));
        incidents.push({ status: open ? 'open' : 'closed', state });
      } catch (err) {
        // One gone meanwhile is left out; one no worker answered for is named.
        if (!(err instanceof WorkflowNotFoundError)) unanswered.push(id);
      }
    });
    await Promise.all(batch);
  }
  return { incidents, unanswered };
}
