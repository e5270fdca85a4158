import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident.js';
import { decodeHistory } from '../temporal/codec.js';
import { reportAssets } from './assets.js';
import { auditHistory, type AuditHistory } from './history.js';
import { renderReport } from './render.js';

export { loadReport, saveReport, type RecordKind } from './store.js';
export { renderPostmortem } from './postmortem.js';

const NO_HISTORY: AuditHistory = { eventCount: 0, events: [] };

/** The report of one incident from its workflow's state and its run's history in Temporal. */
export async function buildReport(options: {
  state: IncidentState;
  /** Without a client the report says the history was not available. */
  temporal?: Client;
  runId?: string;
  workflowUrl: string;
}): Promise<string> {
  const { state, temporal } = options;
  const history = temporal
    ? auditHistory(
        // The server keeps payloads as the codec sealed them; the report reads them opened.
        await decodeHistory(
          temporal,
          await temporal.workflow.getHandle(state.incidentId, options.runId).fetchHistory(),
        ),
      )
    : NO_HISTORY;
  return renderReport({ state, history, workflowUrl: options.workflowUrl }, await reportAssets());
}
