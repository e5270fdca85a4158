import type { Client } from '@temporalio/client';
import { INCIDENT_WORKFLOW_TYPE } from '../workflows/messages.js';
import type { Page } from './summary.js';

/** The most incidents one summary reads from visibility; past it the summary says it was cut. */
export const MAX_PAGES = 10_000;

/**
 * The incidents opened since `fromMs`, from Temporal's visibility: one page each. An incident that
 * continued as new has a run per continuation; it counts once, at its earliest run's start.
 */
export async function readPages(
  client: Client,
  fromMs: number,
): Promise<{ pages: Page[]; truncated: boolean }> {
  const query = `WorkflowType = '${INCIDENT_WORKFLOW_TYPE}' AND StartTime >= '${new Date(fromMs).toISOString()}'`;
  const first = new Map<string, number>();
  let runs = 0;
  for await (const wf of client.workflow.list({ query, pageSize: 1000 })) {
    const at = wf.startTime.getTime();
    const seen = first.get(wf.workflowId);
    if (seen === undefined || at < seen) first.set(wf.workflowId, at);
    if (++runs >= MAX_PAGES) return { pages: pagesOf(first), truncated: true };
  }
  return { pages: pagesOf(first), truncated: false };
}

const pagesOf = (first: Map<string, number>): Page[] =>
  [...first].map(([incidentId, at]) => ({ incidentId, at: new Date(at).toISOString() }));
