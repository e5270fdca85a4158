import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { OUTCOMES, STAGES } from '../domain/incident.js';
import { riskOf, type RiskLight } from '../domain/incident-view.js';
import { INCIDENT_WORKFLOW_TYPE } from '../workflows/messages.js';
import { SA } from '../workflows/search-attributes.js';

/**
 * A value quoted into a visibility query. No quote, backslash or control character can get in, so a
 * value can never end its literal and add a clause of its own; letters of any script, spaces and plain
 * punctuation can, because alert names and services carry them.
 */
export const filterValue = z
  .string()
  .regex(/^[\p{L}\p{N} _.:/@+,()=-]{1,256}$/u, 'letters, digits, spaces and _ . : / @ + , ( ) = -');

/** Every filter an incident can be found by: the allow-list, unknown filters are refused. */
export const incidentFilterSchema = z
  .object({
    status: z.enum(['open', 'closed']).optional(),
    service: filterValue.optional(),
    severity: filterValue.optional(),
    stage: z.enum(STAGES).optional(),
    runbook: filterValue.optional(),
    alertName: filterValue.optional(),
    outcome: z.enum(OUTCOMES).optional(),
  })
  .strict();
export type IncidentFilter = z.infer<typeof incidentFilterSchema>;

/** The search attribute each keyword filter compares. */
const KEYWORD_FILTERS = {
  service: SA.service,
  severity: SA.severity,
  stage: SA.stage,
  runbook: SA.runbook,
  alertName: SA.alertName,
  outcome: SA.outcome,
} as const;

/** A filter that is not on the allow-list or has a value that cannot be quoted. */
export class FilterRefused extends Error {
  constructor(readonly error: z.ZodError) {
    super(
      `refused incident filter: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
    this.name = 'FilterRefused';
  }
}

/**
 * The visibility query that finds the incidents matching a filter. The filter is checked here again,
 * whoever the caller: a typed caller may still pass a value that came from an alert.
 */
export function incidentQuery(filter: IncidentFilter): string {
  const parsed = incidentFilterSchema.safeParse(filter);
  if (!parsed.success) throw new FilterRefused(parsed.error);
  const f = parsed.data;
  const clauses = [`WorkflowType = '${INCIDENT_WORKFLOW_TYPE}'`];
  if (f.status === 'open') clauses.push(`ExecutionStatus = 'Running'`);
  if (f.status === 'closed') clauses.push(`ExecutionStatus != 'Running'`);
  for (const [name, key] of Object.entries(KEYWORD_FILTERS)) {
    const value = f[name as keyof typeof KEYWORD_FILTERS];
    if (value !== undefined) clauses.push(`${key.name} = '${value}'`);
  }
  return clauses.join(' AND ');
}

/** One incident as visibility knows it: its search attributes, no state. */
export interface ListedIncident {
  incidentId: string;
  runId: string;
  status: 'open' | 'closed';
  executionStatus: string;
  service: string | null;
  alertName: string | null;
  severity: string | null;
  risk: RiskLight;
  stage: string | null;
  runbook: string | null;
  outcome: string | null;
  openedAt: string;
  closedAt: string | null;
}

/** The incidents matching a filter, newest first, at most `limit` of them. */
export async function listIncidents(
  client: Client,
  filter: IncidentFilter,
  limit: number,
): Promise<ListedIncident[]> {
  const out: ListedIncident[] = [];
  for await (const wf of client.workflow.list({ query: incidentQuery(filter), pageSize: limit })) {
    const sa = wf.typedSearchAttributes;
    out.push({
      incidentId: wf.workflowId,
      runId: wf.runId,
      status: wf.status.name === 'RUNNING' ? 'open' : 'closed',
      executionStatus: wf.status.name,
      service: sa.get(SA.service) ?? null,
      alertName: sa.get(SA.alertName) ?? null,
      severity: sa.get(SA.severity) ?? null,
      // Visibility holds no plan: the severity alone decides a listed incident's light.
      risk: riskOf({ severity: sa.get(SA.severity) ?? '' }),
      stage: sa.get(SA.stage) ?? null,
      runbook: sa.get(SA.runbook) ?? null,
      outcome: sa.get(SA.outcome) ?? null,
      openedAt: wf.startTime.toISOString(),
      closedAt: wf.closeTime?.toISOString() ?? null,
    });
    if (out.length >= limit) break;
  }
  return out;
}

/** How many incidents match a filter. */
export async function countIncidents(client: Client, filter: IncidentFilter): Promise<number> {
  return Number((await client.workflow.count(incidentQuery(filter))).count);
}
