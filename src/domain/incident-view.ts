import type { Alert } from './alert.js';
import {
  STAGES,
  type ActionRecord,
  type ApprovalRecord,
  type IncidentState,
  type Stage,
} from './incident.js';
import { blockAt, describeBlock } from './outlook.js';
import { cleanText, markdownText as commonMarkLine } from '../notify/escape.js';

/**
 * Facts derived from an incident's state, each worked out here once for every surface: the workflow,
 * the API (which serves them to the console), Slack, reports and metrics. A surface that needs one of
 * them reads it from here rather than deciding again by its own rule.
 */

export type RiskLight = 'low' | 'medium' | 'critical';

const MEDIUM_SEVERITIES = new Set(['high', 'error', 'warning']);

/**
 * Why the incident has no plan to run, in the words the recommend stage noted, and whether a runbook
 * matched but its plan was refused (its parameters or targets); undefined while it has a plan, or before
 * triage recommended anything.
 */
export function withoutPlan(
  state: Pick<IncidentState, 'recommendation' | 'timeline'>,
): { reason: string; refused: boolean } | undefined {
  if (state.recommendation !== null) return undefined;
  const noted = [...state.timeline]
    .reverse()
    .find((t) => t.event === 'recommended' || t.event === 'plan-refused');
  return { reason: noted?.message ?? 'no runbook matches', refused: noted?.event === 'plan-refused' };
}

/** The incident's risk light: the worse of its severity and its recommended runbook's risk. */
export function riskOf(state: Pick<IncidentState, 'severity' | 'recommendation'>): RiskLight {
  const runbook = state.recommendation?.risk;
  if (state.severity === 'critical' || runbook === 'high') return 'critical';
  if (MEDIUM_SEVERITIES.has(state.severity) || runbook === 'medium') return 'medium';
  return 'low';
}

/**
 * The ingest identities (senders) of the alerts the incident took. Alerts of several senders share an
 * incident by their correlation labels alone, and the first one fills the plan: another sender's alert
 * may have chosen its target. Such a plan is for a person to approve, never a policy. Every sender
 * noted counts (`sendersSeen`), not only those of the alerts still held: a sender that sends enough
 * alerts of its own pushes the others' out of what the incident holds whole.
 */
export function sendersOf(state: Pick<IncidentState, 'alerts' | 'sendersSeen'>): string[] {
  const held = state.alerts.flatMap((a) => (a.sender !== undefined ? [a.sender] : []));
  return [...new Set([...(state.sendersSeen ?? []), ...held])];
}

export type Decided = ApprovalRecord & { decision: 'approved' | 'rejected' };

/**
 * The approval or rejection of the current round. A guard that refuses an action starts a new round, in
 * which the earlier approval no longer counts: people must decide again.
 */
export function currentDecision(state: Pick<IncidentState, 'approvals' | 'round'>): Decided | undefined {
  const round = state.round ?? 0;
  return state.approvals.find(
    (a): a is Decided => (a.round ?? 0) === round && (a.decision === 'approved' || a.decision === 'rejected'),
  );
}

/**
 * The steps of the latest remediation run whose change still stands: done and not undone (a restart or an
 * http.call cannot be undone; a compensation that failed left its change). A guard's refusal hands the
 * whole plan back, and approving it again runs it from its first step, these steps included: people are
 * told so before they decide. Runs start at step 0, so the latest is the records from the last step 0.
 */
export function stillInEffect(state: Pick<IncidentState, 'actions'>): ActionRecord[] {
  let start = -1;
  state.actions.forEach((a, i) => {
    if (a.index === 0) start = i;
  });
  if (start < 0) return [];
  return state.actions.slice(start).filter((a) => a.status === 'done' || a.status === 'rollback-failed');
}

/** The sentence that says which of those steps approving again would run a second time, or ''. */
export function runsAgainSentence(state: Pick<IncidentState, 'actions'>): string {
  const standing = stillInEffect(state).map((a) => a.description);
  if (standing.length === 0) return '';
  return (
    `Already done and not undone: ${standing.join('; ')}. ` +
    'Approving again runs the whole plan from its first step, these steps too.'
  );
}

/** Whether the incident waits for a person to approve or reject its plan now. */
export function awaitingDecision(
  state: Pick<IncidentState, 'stage' | 'recommendation' | 'approvals' | 'round'>,
): boolean {
  return state.stage === 'approve' && Boolean(state.recommendation) && !currentDecision(state);
}

export type StageStatus = 'done' | 'current' | 'skipped' | 'pending';

/** Every stage in order, with whether the incident passed it, is in it, skipped it or has yet to reach it. */
export function stageStrip(
  state: Pick<IncidentState, 'stage' | 'timeline'>,
): { stage: Stage; status: StageStatus; enteredAt?: string }[] {
  const entered = new Map<Stage, string>();
  for (const t of state.timeline) if (!entered.has(t.stage)) entered.set(t.stage, t.at);
  const current = STAGES.indexOf(state.stage);
  return STAGES.map((stage, i) => {
    const status: StageStatus =
      stage === state.stage && stage !== 'closed'
        ? 'current'
        : i <= current
          ? entered.has(stage)
            ? 'done'
            : 'skipped'
          : 'pending';
    const at = entered.get(stage);
    return { stage, status, ...(at ? { enteredAt: at } : {}) };
  });
}

/** Why an incident's plan is not approved automatically now, and whether a person must override. */
export interface Waiting {
  reason: string;
  until: string;
  /** A person's approval needs `override: true` and a reason. */
  overrideNeeded: boolean;
}

/**
 * Why the incident waits on the change calendar at `nowMs`: a freeze (or the runbook's hours) in force
 * while its plan awaits a decision, or an automatic approval held until the calendar allows it.
 */
export function waitingOnCalendar(
  state: Pick<IncidentState, 'stage' | 'recommendation' | 'approvals' | 'round' | 'calendar' | 'hold'>,
  nowMs: number,
): Waiting | undefined {
  if (!awaitingDecision(state)) return undefined;
  const block = blockAt(state.calendar, nowMs);
  if (block) return { reason: describeBlock(block), until: block.until, overrideNeeded: true };
  return state.hold
    ? { reason: state.hold.reason, until: state.hold.until, overrideNeeded: false }
    : undefined;
}

/** What the API serves beside an incident's state, so that the console decides nothing on its own. */
export interface IncidentSummary {
  risk: RiskLight;
  awaitingDecision: boolean;
  decision?: { decision: 'approved' | 'rejected'; actor: string; at: string };
  /** Why the plan waits on the change calendar, when it does. */
  waiting?: Waiting;
  /**
   * While a plan a guard handed back waits, what approving it again would run a second time
   * (runsAgainSentence); absent when nothing of the last run still stands.
   */
  runsAgain?: string;
  stages: ReturnType<typeof stageStrip>;
}

export function summarize(state: IncidentState, nowMs: number = Date.now()): IncidentSummary {
  const decided = currentDecision(state);
  const waiting = waitingOnCalendar(state, nowMs);
  const awaiting = awaitingDecision(state);
  const runsAgain = awaiting && (state.round ?? 0) > 0 ? runsAgainSentence(state) : '';
  return {
    risk: riskOf(state),
    awaitingDecision: awaiting,
    ...(decided ? { decision: { decision: decided.decision, actor: decided.actor, at: decided.at } } : {}),
    ...(waiting ? { waiting } : {}),
    ...(runsAgain ? { runsAgain } : {}),
    stages: stageStrip(state),
  };
}

/** The service an alert is about, by the first of these labels it has. */
export const serviceOf = (labels: Record<string, string>): string =>
  labels['service'] ?? labels['job'] ?? labels['container'] ?? 'unknown';

/**
 * Alert text as plain text in Temporal's markdown (the Web UI renders summaries and details, as
 * CommonMark): one line, cut, then escaped as the postmortem's prose is (no link, autolink, list, rule or
 * heading; no control or direction characters), and braces too, which the Web UI's templates read.
 */
export function markdownText(text: string, maxChars = 200): string {
  const line = cleanText(text).replace(/\s+/g, ' ').trim();
  const cut = line.length > maxChars ? `${line.slice(0, maxChars - 1)}…` : line;
  return commonMarkLine(cut).replace(/[{}]/g, (c) => `\\${c}`);
}

/** The workflow's static summary in the Temporal Web UI: alert, service and severity, set at start. */
export function webUiSummary(alert: Pick<Alert, 'alertName' | 'labels' | 'severity'>): string {
  return `${markdownText(alert.alertName, 100)} on ${markdownText(serviceOf(alert.labels), 100)} (${markdownText(alert.severity, 30)})`;
}

/** The workflow's static details: the first alert's summary and labels, as they opened the incident. */
export function webUiDetails(alert: Pick<Alert, 'labels' | 'annotations' | 'startsAt'>): string {
  const summary = alert.annotations['summary'];
  const labels = Object.entries(alert.labels)
    .slice(0, 20)
    // Quoted, as correlation keys are: a value holding `, name=value` cannot pass for another label.
    .map(([name, value]) => `${markdownText(name, 60)}=${markdownText(JSON.stringify(value), 122)}`);
  return [
    ...(summary ? [markdownText(summary, 300)] : []),
    `Labels: ${labels.join(', ')}`,
    `Firing since ${markdownText(alert.startsAt, 40)}`,
  ].join('\n\n');
}

/** The workflow's current details in the Web UI: where the incident stands now, updated at each stage. */
export function webUiCurrentDetails(state: IncidentState, nowMs: number): string {
  const plan = state.recommendation;
  const decided = currentDecision(state);
  const waiting = waitingOnCalendar(state, nowMs);
  const lines = [
    `**Stage:** ${state.stage}${state.outcome ? ` (outcome: ${state.outcome})` : ''}`,
    ...(state.title ? [`**Incident:** ${markdownText(state.title, 200)}`] : []),
    ...(plan ? [`**Runbook:** ${markdownText(plan.title, 200)} (${plan.risk} risk)`] : []),
    ...(decided ? [`**Decision:** ${decided.decision} by ${markdownText(decided.actor, 100)}`] : []),
    ...(waiting ? [`**Waiting:** ${markdownText(waiting.reason, 300)}`] : []),
    ...(state.silence?.status === 'active'
      ? [`**Silenced in Alertmanager:** ${state.silence.ids.map((id) => markdownText(id, 60)).join(', ')}`]
      : []),
  ];
  const last = state.timeline[state.timeline.length - 1];
  if (last) lines.push(`**Latest:** ${markdownText(last.message, 300)}`);
  return lines.join('\n\n');
}
