import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { breakdown } from '../domain/breakdown.js';
import type { Stage } from '../domain/incident.js';
import type { Logger } from '../lib/logger.js';
import { labelBudget, type Metrics } from '../lib/metrics.js';
import { buildReport, renderPostmortem, saveReport } from '../reports/index.js';
import { severityClient } from '../severity/client.js';
import { outcomeLesson } from '../severity/lessons.js';
import { verdictLedger } from '../verdicts/client.js';
import { countFalsePositive } from '../verdicts/count.js';
import type { LedgerEntry } from '../verdicts/ledger.js';
import { evidenceVerdict, type EvidenceVerdict } from '../verdicts/verdict.js';
import type { IncidentClosed, IncidentOpened } from '../workflows/records.js';
import { callFromActivity } from './temporal-call.js';

/** Seconds spent in each stage, from the timeline's stage changes. */
export function stageDurations(state: Pick<IncidentClosed, 'timeline'>): Partial<Record<Stage, number>> {
  const out: Partial<Record<Stage, number>> = {};
  const entries = state.timeline;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const next = entries.slice(i + 1).find((e) => e.stage !== entry?.stage);
    if (!entry || !next || entries[i - 1]?.stage === entry.stage) continue;
    out[entry.stage] = (out[entry.stage] ?? 0) + (Date.parse(next.at) - Date.parse(entry.at)) / 1000;
  }
  return out;
}

const seconds = (from?: string, to?: string): number | undefined =>
  from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : undefined;

/** Where closed incidents' reports go, and what they are built from. */
export interface ReportDeps {
  dir: string;
  /** For the workflow's history; without it the report says the history was not available. */
  temporal?: Client;
  workflowUrl: (incidentId: string) => string;
}

/**
 * The workflow gives recordIncidentClosed five attempts: the report is retried on the first ones, and
 * on the last the incident closes without its file (logged as an error) rather than failing as a whole.
 */
const REPORT_ATTEMPTS = 4;

/**
 * How long the report may spend reading the workflow's history: well inside the activity's 15 s, which
 * the evidence and the lesson share, so a history too large or too slow to read leaves the report without
 * it instead of timing the activity out on every attempt (and the workflow with it).
 */
const REPORT_HISTORY_MS = 5000;

/**
 * The ledger's update and the model's lesson are each bounded well inside the activity's 15 s, so a retry
 * still has time (see callFromActivity).
 */
const ENTITY_TIMEOUT_MS = 5000;

export interface LifecycleDeps {
  logger: Logger;
  metrics: Metrics;
  reports?: ReportDeps;
  /** For the verdict ledger and the severity model; without it no evidence is recorded, nothing learned. */
  temporal?: Client;
  /** How long each of their updates may take; 5 s unless a test says otherwise. */
  entityTimeoutMs?: number;
}

/**
 * Files what the closed incident's own record says in the verdict ledger of its task queue. Retried as
 * the report is; on the last attempt the incident closes without it (logged) rather than failing.
 */
async function recordEvidence(
  deps: LifecycleDeps,
  state: IncidentClosed,
  evidence: EvidenceVerdict,
): Promise<LedgerEntry | undefined> {
  const temporal = deps.temporal;
  if (!temporal) return undefined;
  const { info } = Context.current();
  const { incidentId, service, alertName, openedAt, closedAt } = state;
  try {
    return await callFromActivity(temporal, deps.entityTimeoutMs ?? ENTITY_TIMEOUT_MS, () =>
      verdictLedger(temporal, info.taskQueue).recordEvidence({
        facts: { incidentId, service, alertName, openedAt, ...(closedAt ? { closedAt } : {}) },
        alerts: state.alertsReceived ?? state.alerts.length,
        evidence,
      }),
    );
  } catch (err) {
    if (info.attempt < REPORT_ATTEMPTS) throw err;
    deps.logger.error(
      { event: 'verdicts.evidence-failed', incidentId, attempt: info.attempt, err },
      `incident ${incidentId}: its evidence verdict could not be recorded`,
    );
    return undefined;
  }
}

/** Writes the incident's report files (the same names every time, so a retry replaces them). */
async function writeReport(deps: LifecycleDeps, state: IncidentClosed, reports: ReportDeps): Promise<void> {
  const { info } = Context.current();
  try {
    const html = await buildReport({
      state,
      ...(reports.temporal ? { temporal: reports.temporal } : {}),
      runId: info.workflowExecution?.runId,
      workflowUrl: reports.workflowUrl(state.incidentId),
      historyWithinMs: REPORT_HISTORY_MS,
    });
    const file = await saveReport(reports.dir, state.incidentId, html, 'html', state.openedAt);
    // Beside the report, from the same state: the draft people start the postmortem from.
    const markdown = renderPostmortem({ state, workflowUrl: reports.workflowUrl(state.incidentId) });
    const draft = await saveReport(reports.dir, state.incidentId, markdown, 'md', state.openedAt);
    deps.logger.info(
      {
        event: 'report.written',
        incidentId: state.incidentId,
        file,
        postmortem: draft,
        bytes: Buffer.byteLength(html),
      },
      `incident ${state.incidentId}: report written to ${file}, postmortem draft to ${draft}`,
    );
  } catch (err) {
    if (info.attempt < REPORT_ATTEMPTS) throw err;
    deps.metrics.reportsFailed.inc();
    deps.logger.error(
      { event: 'report.failed', incidentId: state.incidentId, attempt: info.attempt, err },
      `incident ${state.incidentId}: the report could not be written`,
    );
  }
}

/**
 * Teaches the severity model what the closed incident's outcome says (see outcomeLesson). Never fails
 * the close: a lesson lost to an outage costs one example, while a failure would retry the close and
 * count its metrics twice. The lesson's key makes a retry harmless.
 */
async function learnSeverity(deps: LifecycleDeps, state: IncidentClosed): Promise<void> {
  const lesson = outcomeLesson(state);
  if (!lesson || !deps.temporal) return;
  try {
    const { temporal } = deps;
    const model = severityClient(temporal, Context.current().info.taskQueue);
    await callFromActivity(temporal, deps.entityTimeoutMs ?? ENTITY_TIMEOUT_MS, () =>
      model.learn({ lesson }),
    );
  } catch (err) {
    deps.logger.warn(
      { event: 'severity.learn-failed', incidentId: state.incidentId, err: String(err) },
      `the severity model did not learn from incident ${state.incidentId}`,
    );
  }
}

/** The closed incident in the metrics: outcome, stage and phase times, decisions, actions, noise. */
function countClosed(
  metrics: Metrics,
  state: IncidentClosed,
  evidence: EvidenceVerdict,
  entry: LedgerEntry | undefined,
): void {
  metrics.alertsPerIncident.observe(state.alertsReceived ?? state.alerts.length);
  // A person's verdict given while the incident was open wins, and was counted when given.
  if (evidence.verdict === 'noise' && !entry?.person) countFalsePositive(metrics, 'evidence', state.service);
  const outcome = state.outcome ?? 'unknown';
  metrics.incidentsClosed.inc({ outcome });
  for (const [stage, secs] of Object.entries(stageDurations(state)))
    metrics.stageDuration.observe({ stage }, secs);
  for (const a of state.approvals) metrics.approvals.inc({ decision: a.decision, via: a.via });
  for (const a of state.actions)
    metrics.remediationActions.inc({
      // Records from before `action` was kept name it only in their description's first word.
      action: a.action ?? a.description.split(' ')[0] ?? 'unknown',
      result: a.status,
      // Empty when the action has no target (a wait): Prometheus reads it as no label.
      target: a.target ? targetLabel(a.target) : '',
    });
  const firstAction = seconds(state.milestones.opened, state.milestones.firstAction);
  if (firstAction !== undefined) metrics.timeToFirstAction.observe(firstAction);
  const total = seconds(state.milestones.opened, state.milestones.closed);
  if (total !== undefined) metrics.timeToClose.observe({ outcome }, total);
  if (state.duplicatesDropped > 0) metrics.duplicatesDropped.inc(state.duplicatesDropped);
  for (const [phase, secs] of Object.entries(breakdown(state).phases))
    metrics.incidentPhase.observe({ phase }, secs);
}

/** The most action targets steadfast_remediation_actions_total tells apart in one process. */
export const MAX_TARGETS = 1000;
const targetLabel = labelBudget(MAX_TARGETS);

export function createLifecycleActivities(deps: LifecycleDeps) {
  return {
    /** Runs scheduled before narrow inputs passed the whole state: its alerts are counted the same. */
    async recordIncidentOpened(
      opened: IncidentOpened | (Omit<IncidentOpened, 'alertsReceived'> & { alerts: unknown[] }),
    ): Promise<void> {
      deps.metrics.incidentsStarted.inc();
      deps.logger.info(
        {
          event: 'incident.opened',
          incidentId: opened.incidentId,
          service: opened.service,
          alertName: opened.alertName,
          severity: opened.severity,
          alerts: 'alertsReceived' in opened ? opened.alertsReceived : opened.alerts.length,
        },
        `incident ${opened.incidentId} opened: ${opened.title}`,
      );
    },

    async recordIncidentClosed(state: IncidentClosed): Promise<void> {
      // Every call that waits comes before the counts: an attempt that fails or outlasts its timeout
      // while writing, recording or teaching is retried by Temporal, and must not have counted yet.
      if (deps.reports) await writeReport(deps, state, deps.reports);
      const evidence = evidenceVerdict(state);
      const entry = await recordEvidence(deps, state, evidence);
      await learnSeverity(deps, state);
      countClosed(deps.metrics, state, evidence, entry);
      const outcome = state.outcome ?? 'unknown';
      const times = breakdown(state);
      deps.logger.info(
        {
          event: 'incident.closed',
          incidentId: state.incidentId,
          outcome,
          milestones: state.milestones,
          breakdown: times,
          actions: state.actions.length,
          evidence: evidence.verdict,
        },
        `incident ${state.incidentId} closed: ${outcome}`,
      );
    },
  };
}
