import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
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

/** Every change is an update-with-start, so the first verdict ever finds the ledger running. */
export function verdictLedger(client: Client, taskQueue: string): VerdictLedger {
  const workflowId = verdictLedgerWorkflowId(taskQueue);
  const withLedger = (): WithStartWorkflowOperation<typeof verdictLedgerWorkflow> =>
    new WithStartWorkflowOperation(verdictLedgerWorkflow, {
      workflowId,
      taskQueue,
      args: [],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  return {
    give: (request) =>
      client.workflow.executeUpdateWithStart(personVerdictUpdate, {
        args: [request],
        startWorkflowOperation: withLedger(),
      }),
    recordEvidence: (request) =>
      client.workflow.executeUpdateWithStart(evidenceUpdate, {
        args: [request],
        startWorkflowOperation: withLedger(),
      }),
    flagged: (source, now = Date.now()) =>
      client.workflow
        .getHandle(workflowId)
        .query(flaggedQuery, { ...source, now })
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return [];
          throw err;
        }),
    read: () =>
      client.workflow
        .getHandle(workflowId)
        .query(ledgerQuery)
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return { entries: {} } satisfies LedgerState;
          throw err;
        }),
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
