import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Alert } from '../domain/alert.js';
import type { Decision, IncidentInput, IncidentState, RefusedDecision, Stage } from '../domain/incident.js';

/** The incident workflow's messages, declared once for the workflow and its clients. */

/** New or re-sent alerts for this incident (firing or resolved); duplicates are dropped. */
export const alertsSignal = defineSignal<[Alert[]]>('alerts');
export const stateQuery = defineQuery<IncidentState>('state');
/** A decision an edge (Slack, API) refused, recorded in the timeline so attempts leave a trace. */
export const refusedDecisionSignal = defineSignal<[RefusedDecision]>('refusedDecision');

/**
 * What a decision's update answers: enough to confirm it, never the whole state (which the `state`
 * query gives), so the answer stays small however large the incident grows.
 */
export interface DecisionResult {
  incidentId: string;
  decision: 'approved' | 'rejected' | 'acknowledged' | 'resolved';
  actor: string;
  at: string;
  /** The stage when the decision was taken; the workflow moves on from there. */
  stage: Stage;
}
export function decisionResult(
  state: IncidentState,
  decision: DecisionResult['decision'],
  actor: string,
  at: string,
): DecisionResult {
  return { incidentId: state.incidentId, decision, actor, at, stage: state.stage };
}
export const approveUpdate = defineUpdate<DecisionResult, [Decision]>('approve');
export const rejectUpdate = defineUpdate<DecisionResult, [Decision]>('reject');
export const acknowledgeUpdate = defineUpdate<DecisionResult, [Decision]>('acknowledge');
export const resolveUpdate = defineUpdate<DecisionResult, [Decision]>('resolve');

/**
 * Merging this incident into another open one (a cluster of incidents that are one problem): the
 * incident sends its alerts to `into` on the alerts signal, tells it with `absorbed`, records "merged
 * into" and closes. Refused (validator) for itself, twice, once closed, or while remediation runs.
 */
export interface MergeRequest {
  into: string;
  actor: string;
  via: string;
  reason?: string;
  /** When the incident merged opened, as its sender saw it: a later opening of the ID refuses. */
  opened?: string;
  /** When the target opened, as its sender saw it: a target that opened again since refuses. */
  intoOpened?: string;
  /** When the sender stops waiting: a merge taken up later is refused, as a decision is (expiresAt). */
  expiresAt?: string;
}
export interface MergeResult {
  incidentId: string;
  into: string;
  /** Alerts sent to `into`. */
  alertsSent: number;
  at: string;
}
export const mergeUpdate = defineUpdate<MergeResult, [MergeRequest]>('merge');
/** How long a merge waits for its target's answer; past it the merge is refused and undone. */
export const MERGE_ANSWER_WAIT_MS = 10_000;
/** Told to the incident that absorbed another, after that one's alerts (on the alerts signal). */
export interface AbsorbedNotice {
  from: string;
  actor: string;
  alerts: number;
  /**
   * Ledger keys of the merged incident's firing alerts that it did not hold whole (so did not send), and
   * how many firing alerts it had forgotten: the target keeps them firing until they resolve there.
   */
  firingKeys?: string[];
  firingUntracked?: number;
}
export const absorbedSignal = defineSignal<[AbsorbedNotice]>('absorbed');
/**
 * Before it sends anything, an incident merging into another asks it (`mergeAsk`) and waits for its
 * answer (`mergeAnswer`): an incident that is itself merging away says no. Two incidents merged into each
 * other at once both hear no and both stay open, instead of each closing into the other.
 */
export interface MergeAsk {
  from: string;
  /** The opening of the target the merge was asked for (MergeRequest.intoOpened). */
  opened?: string;
}
export const mergeAskSignal = defineSignal<[MergeAsk]>('mergeAsk');
export interface MergeAnswer {
  from: string;
  absorbs: boolean;
  /** Why not, when it does not. */
  why?: string;
}
export const mergeAnswerSignal = defineSignal<[MergeAnswer]>('mergeAnswer');
/**
 * The memo field a merged incident names its target in: ingestion reads it (describe) when alerts find
 * the incident closed, and sends them to the target instead of opening the incident again.
 */
export const MERGED_INTO_MEMO = 'mergedInto';
/**
 * The memo field naming an opening of an incident after its first: when a run opened again, by alerts
 * that fired as the run before closed, started. The runs it rolls over into carry it on (Temporal carries
 * no memo across continue-as-new by itself). Ingestion tells by it a rollover, which holds what the runs
 * before it took, from a new opening in the same chain, which does not.
 */
export const OPENING_MEMO = 'opening';

export const INCIDENT_WORKFLOW_TYPE = 'incidentWorkflow';
/**
 * What an incident ID may be: what correlate() makes (incident-<labels>-<digest>) and what any surface
 * (API, Slack, a workflow's validator, a memo) accepts as one, so an ID never carries quotes or control
 * characters into a query, a URL or a message.
 */
export const INCIDENT_ID = /^[A-Za-z0-9._-]{1,255}$/;
/**
 * The incident workflow's signature, for clients: declared here so that starting one does not import
 * the workflow, whose activity types reach back to the clients (test/design checks that they agree).
 */
export type IncidentWorkflow = (input: IncidentInput) => Promise<IncidentState>;

/** ApplicationFailure types an update can be refused with; clients branch on these. */
export const REFUSAL = {
  notAuthorized: 'NotAuthorized',
  wrongStage: 'WrongStage',
  alreadyDecided: 'AlreadyDecided',
  closed: 'IncidentClosed',
  invalid: 'InvalidDecision',
  /** A change freeze (or the runbook's hours) is in force, and the approval did not override it. */
  frozen: 'ChangeFrozen',
  /** The change calendar is due to be read again and has not been (a worker is down): try again soon. */
  calendarUnread: 'CalendarUnread',
  /** A merge the incident cannot take: already merged, or into itself. */
  merge: 'MergeRefused',
  /** The decision reached the incident after its sender stopped waiting (Decision.expiresAt). */
  expired: 'DecisionExpired',
  /** The decision was made on an earlier approval round's plan (Decision.round). */
  stale: 'StaleDecision',
  /** The guards handed the plan back MAX_ROUNDS times: it is not approved again. */
  rounds: 'TooManyRounds',
} as const;

/**
 * Approval rounds an incident takes: each guard refusal starts one, adds an approval, an action and
 * timeline entries to its state, and pages its escalation again, so a plan a guard keeps refusing would
 * grow the state past what Temporal keeps. Twenty is far more than a person retries a cooldown.
 */
export const MAX_ROUNDS = 20;
