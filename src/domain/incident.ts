import type { Suggestion as SeveritySuggestion } from '../severity/model.js';
import type { ActionStep } from '../actions/steps.js';
import type { Alert } from './alert.js';
import type { AnomalyFinding } from './anomaly.js';
import type { Forecast } from './forecast.js';
import type { CalendarOutlook } from './outlook.js';
import type { SecretRef } from '../secrets/reference.js';

/** Types of the incident's durable state. Pure data: the workflow keeps it, the API shows it. */

export const STAGES = [
  'collect',
  'detect',
  'predict',
  'recommend',
  'approve',
  'remediate',
  'verify',
  'closed',
] as const;
export type Stage = (typeof STAGES)[number];

export type Outcome =
  | 'verified' // remediation ran and verification passed
  | 'failed' // remediation or verification failed; rolled back
  | 'rejected' // a human rejected the remediation
  | 'aborted' // nobody approved and the final policy was to abort
  | 'resolved' // the alerts resolved, or a human resolved it, without remediation
  | 'no-runbook' // nothing to run and the alerts resolved
  | 'dry-run'; // the plan was previewed, nothing was changed

export const MILESTONES = [
  'fault',
  'alertFiring',
  'opened',
  'recommended',
  'approved',
  'firstAction',
  'actionsDone',
  'verified',
  'closed',
] as const;
export type Milestone = (typeof MILESTONES)[number];

export const OUTCOMES = [
  'verified',
  'failed',
  'rejected',
  'aborted',
  'resolved',
  'no-runbook',
  'dry-run',
] as const satisfies readonly Outcome[];

export interface TimelineEntry {
  at: string;
  stage: Stage;
  event: string;
  message: string;
  actor?: string;
}

export interface DetectionResult {
  /** `scored`, or why there is no score: never an invented number. */
  status: 'scored' | 'no-metrics-source' | 'unreachable' | 'no-data' | 'insufficient-history';
  query?: string;
  prometheusUrl?: string;
  finding?: AnomalyFinding;
  threshold?: { value: number; direction: 'above' | 'below' };
  /** The series the finding is about, for the forecast and for charts. */
  series?: { times: number[]; values: number[]; labels: Record<string, string> };
  message: string;
  /**
   * The severity model's view of the alert (src/severity/), beside the label's: a suggestion with its
   * reason, never applied to the incident. Absent in incidents triaged before the model existed.
   */
  severity?: SeveritySuggestion;
  /** When people's verdicts flag the alert's rule or service as paging for nothing, the sentence that says so. */
  noisy?: string;
}

export interface PredictionResult {
  status: 'forecast' | 'no-data';
  forecast?: Forecast;
  message: string;
}

/**
 * A webhook URL carries its secret in its path, so plans name it by reference (read when the notice is
 * sent); plans made before references hold the URL itself and still deliver.
 */
export type WebhookUrl = string | SecretRef;

/** Whom an escalation level tells (see escalationTargetSchema in runbook.ts). */
export type EscalationTarget =
  | { type: 'log' }
  | { type: 'webhook'; url: WebhookUrl }
  /** A channel ID such as C0123ABCD, or a #channel-name. */
  | { type: 'slack'; channel: string }
  /** Posts in `channel`, mentioning the user group (an ID such as S0123ABCD). */
  | { type: 'slack-usergroup'; channel: string; usergroup: string }
  | { type: 'email'; to: string[] }
  /**
   * A Microsoft Teams webhook: an Office 365 connector (`messagecard`, the default) or a Teams
   * Workflows webhook (`adaptive`: an Adaptive Card).
   */
  | { type: 'teams'; url: WebhookUrl; format?: 'messagecard' | 'adaptive' }
  /** A Discord channel webhook. */
  | { type: 'discord'; url: WebhookUrl }
  /** Whoever is on call in the named rotation (STEADFAST_ONCALL_FILE) when the level is reached. */
  | { type: 'rotation'; rotation: string };

export interface EscalationPlan {
  /** Wait for a decision before the first escalation. */
  timeoutMs: number;
  /** `rule`: the escalation rule (src/rules/) this level came from; absent for the runbook's own. */
  levels: { notify: EscalationTarget[]; waitMs: number; rule?: string }[];
  finalPolicy: 'abort' | 'auto-approve';
}

/** Limits that hold across incidents (per target) and within one (its blast radius). */
export interface GuardPolicy {
  /** Least time between two actions on one target. */
  cooldownMs: number;
  /** At most this many actions on one target within `windowMs`. */
  maxActionsPerTarget: number;
  windowMs: number;
  /** At most this many distinct targets in one incident's plan. */
  maxTargets: number;
}

export interface Recommendation {
  runbookId: string;
  title: string;
  risk: 'low' | 'medium' | 'high';
  explanation: string;
  steps: ActionStep[];
  approvers: string[];
  /**
   * How the plan is approved: `immediate`, by policy the moment it is made (a low-risk runbook while
   * STEADFAST_AUTO_APPROVE_LOW_RISK is on), or by `people`, escalating as `escalation` says until
   * someone decides or its final policy does. Set by planFromRunbook, the one place that decides it.
   */
  approval: 'immediate' | 'people';
  /**
   * The chain people follow: the runbook's levels with the escalation rules' among them. A plan approved
   * at once follows it too once a guard has refused an action (see escalationFor).
   */
  escalation: EscalationPlan;
  /** Asked before every step that has a target (see guards/policy.ts). */
  guards: GuardPolicy;
  /** `prometheusUrl`: the runbook's `verify.prometheus`, which checks `promql` (else detection's server). */
  verification: { promql?: string; prometheusUrl?: string; withinMs: number; intervalMs: number };
  dryRun: boolean;
  /** The runbook's own Slack channel for the incident's message, in preference to SLACK_CHANNEL. */
  slack?: { channel: string };
  /**
   * What the steps' targets resolved to and were checked against the runbook's scope (absent in plans
   * made before scopes existed).
   */
  targets?: string[];
  /** `false`: the runbook asks that its incident's alerts are not silenced while it runs. */
  silence?: false;
  /** The change calendar's time interval outside which the plan is never approved automatically. */
  hours?: string;
}

export interface Decision {
  actor: string;
  reason?: string;
  /** Where the decision came from: api, slack, cli, policy. */
  via: string;
  /** Groups the edge verified the actor belongs to (e.g. `slack-group:S0123`); approvers may name them. */
  groups?: string[];
  /**
   * An approval that overrides a change freeze (or the runbook's hours): without it, an approval while
   * the calendar blocks is refused. Needs a reason.
   */
  override?: boolean;
  /**
   * When the sender stops waiting for the answer (ISO time, set by the API): the incident refuses the
   * decision after it, so a sender told "nothing was recorded" is never overruled by a decision applied
   * later, when a worker comes back. Not kept in the record.
   */
  expiresAt?: string;
  /**
   * The approval round the sender saw (IncidentState.round; 0 for the first): an approval or rejection
   * of an earlier round's plan is refused, so a click or request in flight when a guard handed the plan
   * back to people never counts as the new round's decision. Absent: the current round, whichever it is
   * (the Temporal CLI, the slash command). Not kept in the record, which has its own round.
   */
  round?: number;
  /**
   * When the incident the sender saw opened (IncidentState.openedAt): an incident ID is used again when
   * the incident opens again after it closed, and a decision on the plan of the one that closed (a Slack
   * message whose buttons stayed, a console page left open) is refused by the new one. Absent: whichever
   * is open. Not kept in the record.
   */
  opened?: string;
}

/** A decision that was refused (not an approver, too late, twice): kept in the timeline for the audit. */
export interface RefusedDecision extends Decision {
  decision: 'approve' | 'reject' | 'acknowledge' | 'resolve';
  why: string;
}

export interface ApprovalRecord extends Decision {
  decision: 'approved' | 'rejected' | 'acknowledged';
  at: string;
  /** Which approval round the decision belongs to (absent: the first); see IncidentState.round. */
  round?: number;
}

export interface ActionRecord {
  index: number;
  /** The step's action (`docker.restart`); absent in records from before it was kept. */
  action?: ActionStep['action'];
  description: string;
  status: 'running' | 'done' | 'failed' | 'refused' | 'rolled-back' | 'rollback-failed' | 'dry-run';
  /** The exact API calls the action makes (see previewAction). */
  preview?: string[];
  /** What the action changes, as guards count it (see actionTarget). */
  target?: string;
  startedAt: string;
  finishedAt?: string;
  effect?: string;
  error?: string;
  rollback?: string;
}

export interface IncidentState {
  incidentId: string;
  correlationKey: string;
  title: string;
  service: string;
  alertName: string;
  severity: string;
  stage: Stage;
  openedAt: string;
  closedAt?: string;
  outcome?: Outcome;
  alerts: Alert[];
  duplicatesDropped: number;
  /**
   * Bounds on what one incident keeps (see src/workflows/alerts.ts); absent in state carried from runs
   * before them. `alerts` holds the latest alerts only: every distinct alert is counted in
   * `alertsReceived`, those no longer held in `alertsDropped`, and the ledger (a short hash of each
   * alert's dedupe key: 1 firing, 0 resolved) still knows what fires and what is a duplicate.
   */
  alertsReceived?: number;
  alertsDropped?: number;
  alertLedger?: Record<string, 0 | 1>;
  /** Ledger entries forgotten past its own bound (resolved ones first). */
  alertsUntracked?: number;
  /**
   * Of those, entries forgotten while their alert fired: while any is, the incident never counts as all
   * resolved (src/workflows/alerts.ts).
   */
  firingUntracked?: number;
  /** The dedupe key of the firing alert that opened the incident: held whole while it fires. */
  openedBy?: string;
  /**
   * The senders of every alert the incident took, held whole or not, in order of arrival (at most
   * MAX_SENDERS_SEEN): that senders shared it outlives the alerts that showed it (sendersOf).
   */
  sendersSeen?: string[];
  /** Timeline entries left out between the first and the latest of their kind, by kind. */
  notesDropped?: Record<string, number>;
  detection?: DetectionResult;
  prediction?: PredictionResult;
  recommendation?: Recommendation | null;
  approvals: ApprovalRecord[];
  escalationLevel: number;
  /**
   * Approval rounds after the first: a guard that refuses an action hands the incident back to people,
   * who then decide again. Absent until that happens.
   */
  round?: number;
  /** Why the last guard refusal stopped the remediation. */
  guardRefusal?: string;
  /** When the approval wait escalates next; absent once acknowledged (a human owns it). */
  nextEscalationAt?: string;
  /**
   * An incident without a plan: the escalation rules that matched its labels (read once, when it began
   * waiting for people), each told `delayMs` after `since`; `escalationLevel` counts those told.
   */
  ruleEscalation?: {
    since: string;
    levels: { rule: string; delayMs: number; notify: EscalationTarget[] }[];
  };
  actions: ActionRecord[];
  verification?: { status: 'passed' | 'failed'; message: string; at: string };
  /** The incident's Slack message, once posted. */
  announcement?: { channel: string; ts: string };
  /** Set when a person merged this incident into another (its alerts were sent there); then it closes. */
  mergedInto?: string;
  /** Incidents merged into this one (the latest 50), whose alerts it now holds. */
  absorbed?: string[];
  /** The global announcement webhooks (AnnounceWebhook `type`s) told of the incident, each once. */
  announcedTo?: AnnounceWebhook['type'][];
  /**
   * The change calendar as last read for this incident's plan (when it entered approval, and at each
   * automatic approval): the periods in which nothing is approved automatically.
   */
  calendar?: CalendarOutlook;
  /** Automatic approval waits for the calendar: why, and until when. Cleared once decided. */
  hold?: { reason: string; until: string; since: string };
  /** Alertmanager silences made while the remediation runs, expired when the incident closes. */
  silence?: { status: 'active' | 'failed' | 'expired'; ids: string[]; until?: string };
  timeline: TimelineEntry[];
  /**
   * Times of the milestones, for MTTR breakdowns: `fault` when the alert says when its fault began
   * (annotation `fault_started_at`), `alertFiring` when the first alert started firing.
   */
  milestones: Partial<Record<Milestone, string>>;
}

/**
 * A global default announcement target (SLACK_WEBHOOK_URL, TEAMS_WEBHOOK_URL, DISCORD_WEBHOOK_URL): an
 * incoming webhook, named by reference only, so its URL (whose path is its secret) never reaches history.
 */
export interface AnnounceWebhook {
  type: 'slack' | 'teams' | 'discord';
  url: SecretRef;
}

/** The workflow's input; `carried` is set when a long incident continues as new. */
export interface IncidentInput {
  incidentId: string;
  correlationKey: string;
  /** How long the first alerts gather before detection starts. */
  debounceMs: number;
  /** Continue as new once the history has this many events, at a safe point. */
  maxHistoryEvents: number;
  dryRun: boolean;
  /**
   * Where the incident is announced once triage is done. `channel` (SLACK_CHANNEL): its Slack message,
   * unless its runbook names a channel; absent, only runbooks that name a channel get a message.
   * `webhooks`: the global incoming webhooks every incident is announced to once.
   */
  announce?: { channel?: string; webhooks?: AnnounceWebhook[] };
  carried?: IncidentState;
  /**
   * Alerts that fired as the run before closed (src/workflows/incident/lifecycle.ts, openAgain): this run
   * is a new incident opened with them.
   */
  firedAsClosed?: Alert[];
}

const SEVERITY_ORDER = ['critical', 'high', 'error', 'warning', 'predicted', 'info'];

/** The escalation of a plan approved at once: no wait, no levels, and a final policy that agrees. */
const APPROVED_AT_ONCE: EscalationPlan = { timeoutMs: 0, levels: [], finalPolicy: 'auto-approve' };

/**
 * The escalation the plan follows in a round of approval. A plan approved at once never escalates in its
 * first round (during a freeze its final policy holds it until the calendar allows it); once a guard has
 * refused an action (a later round) it is people's, with the runbook's chain, as any other plan's.
 * Plans made before plans carried their chain have the one above as `escalation`, so they read as before.
 */
export function escalationFor(
  plan: Pick<Recommendation, 'approval' | 'escalation'>,
  round: number,
): EscalationPlan {
  return plan.approval === 'immediate' && round === 0 ? APPROVED_AT_ONCE : plan.escalation;
}

/** The most severe of two severities; unknown words rank below the known ones. */
export function moreSevere(a: string, b: string): string {
  const rank = (s: string): number => {
    const i = SEVERITY_ORDER.indexOf(s);
    return i === -1 ? SEVERITY_ORDER.length : i;
  };
  return rank(b) < rank(a) ? b : a;
}
