import type { Client } from '@temporalio/client';
import type { Logger } from '../lib/logger.js';
import { buildReport, loadReport } from '../reports/index.js';
import { stateQuery } from '../workflows/messages.js';

export interface IncidentReport {
  html: string;
  /** Built now from Temporal, or the copy written when the incident closed. */
  source: 'temporal' | 'archive';
}

export interface ReportDeps {
  client: Client;
  logger: Logger;
  temporalTimeoutMs: number;
  reportsDir: string;
  workflowUrl: (id: string) => string;
}

/**
 * An incident's report, built from its workflow's state and history while Temporal has them. Temporal
 * deletes histories after the namespace's retention, and may be down: the report written when the
 * incident closed is then the record. With neither, Temporal's error is passed on.
 */
export async function incidentReport(deps: ReportDeps, incidentId: string): Promise<IncidentReport> {
  const { client } = deps;
  try {
    const html = await client.withDeadline(Date.now() + deps.temporalTimeoutMs, async () =>
      buildReport({
        state: await client.workflow.getHandle(incidentId).query(stateQuery),
        temporal: client,
        workflowUrl: deps.workflowUrl(incidentId),
      }),
    );
    return { html, source: 'temporal' };
  } catch (err) {
    const saved = await loadReport(deps.reportsDir, incidentId);
    if (saved === undefined) throw err;
    deps.logger.info(
      { event: 'report.from-archive', incidentId, err },
      `incident ${incidentId}: report served from ${deps.reportsDir}`,
    );
    return { html: saved, source: 'archive' };
  }
}
