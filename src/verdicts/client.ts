import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { entityHandle } from '../incidents/entity.js';
import { INCIDENT_WORKFLOW_TYPE } from '../workflows/messages.js';
import { SA } from '../workflows/search-attributes.js';
import {
  evidenceUpdate,
  flaggedQuery,
  ledgerQuery,
  personVerdictUpdate,
  verdictLedgerWorkflow,
  verdictLedgerWorkflowId,
} from '../workflows/verdicts.js';
import type {
  EvidenceRequest,
  IncidentFacts,
  LedgerEntry,
  LedgerState,
  PersonVerdictRequest,
  PersonVerdictResult,
} from './ledger.js';
import type { Flagged } from './summary.js';

/** The verdict ledger of one task queue, as the API, Slack and the closing activity use it. */
export interface VerdictLedger {
  /** A person's verdict; the same one sent again changes nothing (`changed: false`). */
  give(request: PersonVerdictRequest): Promise<PersonVerdictResult>;
  /** What a closed incident's own record says (from recordIncidentClosed). */
  recordEvidence(request: EvidenceRequest): Promise<LedgerEntry>;
  /** Everything recorded; empty before the first verdict. */
  read(): Promise<LedgerState>;
  /** Whether this rule or service is flagged as paging for nothing; none before the first verdict. */
  flagged(source: { alertName: string; service: string }, now?: number): Promise<Flagged[]>;
}

/** The ledger of one task queue (see entityHandle): the first verdict ever starts it. */
export function verdictLedger(client: Client, taskQueue: string): VerdictLedger {
  const ledger = entityHandle(client, verdictLedgerWorkflow, verdictLedgerWorkflowId(taskQueue), taskQueue);
  return {
    give: (request) => ledger.update(personVerdictUpdate, request),
    recordEvidence: (request) => ledger.update(evidenceUpdate, request),
    flagged: (source, now = Date.now()) => ledger.query(flaggedQuery, [], { ...source, now }),
    read: () => ledger.query(ledgerQuery, { entries: {} } satisfies LedgerState),
  };
}

/** No incident has this ID (no workflow, or a workflow that is not an incident). */
export class IncidentUnknown extends Error {
  constructor(readonly incidentId: string) {
    super(`no incident ${incidentId}`);
    this.name = 'IncidentUnknown';
  }
}

/** The incident as Temporal describes it (open or closed): the facts a verdict is filed under. */
export async function incidentFacts(
  client: Client,
  incidentId: string,
): Promise<IncidentFacts & { open: boolean }> {
  const info = await client.workflow
    .getHandle(incidentId)
    .describe()
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) throw new IncidentUnknown(incidentId);
      throw err;
    });
  if (info.type !== INCIDENT_WORKFLOW_TYPE) throw new IncidentUnknown(incidentId);
  const sa = info.typedSearchAttributes;
  return {
    incidentId,
    service: sa.get(SA.service) ?? '',
    alertName: sa.get(SA.alertName) ?? '',
    openedAt: info.startTime.toISOString(),
    ...(info.closeTime ? { closedAt: info.closeTime.toISOString() } : {}),
    open: info.status.name === 'RUNNING',
  };
}
