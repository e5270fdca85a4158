import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident.js';
import { decodeHistory } from '../temporal/codec.js';
import { reportAssets } from './assets.js';
import { auditHistory, type AuditHistory } from './history.js';
import { renderReport } from './render.js';
import { messageOf } from '../lib/message-of.js';

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
  /**
   * With it, the history is read within this time, and a history that cannot be read (too large for a
   * page, Temporal slow) leaves the report without it, saying why, rather than failing: the report
   * written when an incident closes must never keep the incident from closing. Without it, Temporal's
   * error is passed on.
   */
  historyWithinMs?: number;
}): Promise<string> {
  const { state, temporal } = options;
  let history = NO_HISTORY;
  if (temporal) {
    const read = async (): Promise<AuditHistory> =>
      // The server keeps payloads as the codec sealed them; the report reads them opened.
      auditHistory(
        await decodeHistory(
          temporal,
          await temporal.workflow.getHandle(state.incidentId, options.runId).fetchHistory(),
        ),
      );
    const within = options.historyWithinMs;
    history =
      within === undefined
        ? await read()
        : await temporal.withDeadline(Date.now() + within, read).catch((err: unknown) => ({
            ...NO_HISTORY,
            unavailable: messageOf(err).slice(0, 500),
          }));
  }
  return renderReport({ state, history, workflowUrl: options.workflowUrl }, await reportAssets());
}
