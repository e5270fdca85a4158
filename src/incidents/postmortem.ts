import { loadReport, renderPostmortem } from '../reports/index.js';
import { stateQuery } from '../workflows/messages.js';
import type { ReportDeps } from './report.js';

export interface IncidentPostmortem {
  markdown: string;
  /** Drafted now from the workflow's state, or the copy written when the incident closed. */
  source: 'temporal' | 'archive';
}

/**
 * An incident's postmortem draft, from its workflow's state while Temporal has it, else the draft
 * written beside the report when the incident closed (as incidentReport does for the report). With
 * neither, Temporal's error is passed on.
 */
export async function incidentPostmortem(deps: ReportDeps, incidentId: string): Promise<IncidentPostmortem> {
  const { client } = deps;
  try {
    const state = await client.withDeadline(Date.now() + deps.temporalTimeoutMs, () =>
      client.workflow.getHandle(incidentId).query(stateQuery),
    );
    return {
      markdown: renderPostmortem({ state, workflowUrl: deps.workflowUrl(incidentId) }),
      source: 'temporal',
    };
  } catch (err) {
    const saved = await loadReport(deps.reportsDir, incidentId, 'md');
    if (saved === undefined) throw err;
    deps.logger.info(
      { event: 'postmortem.from-archive', incidentId, err },
      `incident ${incidentId}: postmortem draft served from ${deps.reportsDir}`,
    );
    return { markdown: saved, source: 'archive' };
  }
}
