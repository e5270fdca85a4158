import { patched, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Alert } from '../../domain/alert.js';
import type { Decision, IncidentState, Recommendation } from '../../domain/incident.js';
import { currentDecision, serviceOf } from '../../domain/incident-view.js';
import { absorbAlerts, alertNote } from '../alerts.js';
import {
  acknowledgeUpdate,
  alertsSignal,
  approveUpdate,
  decisionResult,
  type DecisionResult,
  MAX_ROUNDS,
  REFUSAL,
  refusedDecisionSignal,
  rejectUpdate,
  resolveUpdate,
  stateQuery,
} from '../messages.js';
import { faultStartOf } from '../../domain/fault-start.js';
import { describeBlock } from '../../domain/outlook.js';
import { refusal } from '../refusal.js';
import { keywordValue, SA } from '../search-attributes.js';
import { DECISION_BOUNDS, isText, malformedAlert, malformedRefusal } from '../signal-checks.js';
import { calendarBlock, calendarOutdated } from './calendar.js';
import {
  dropsMalformed,
  note,
  nowIso,
  refuseDuringRemediation,
  round,
  settled,
  type Incident,
} from './context.js';
import { refuseEarlierOpening, refuseExpired } from './freshness.js';
import { forwardAfterMerge, setMergeHandlers } from './merge.js';

/**
 * What the incident answers while it runs: alerts, the state query, and decisions, each update with a
 * validator that refuses (and so keeps out of history) whatever the incident cannot take now.
 */
/** Past the ledger's bound a forgotten firing alert keeps the incident open (src/workflows/alerts.ts). */
export const LEDGER_FIRING_PATCH = 'ledger-counts-forgotten-firing';
/** The alert that opened an incident is held while it fires (src/workflows/alerts.ts). */
export const OPENING_ALERT_PATCH = 'hold-opening-alert';
/** New ledger entries are keyed by a hash no sender can collide with (src/workflows/alerts.ts). */
export const STRONG_LEDGER_PATCH = 'ledger-strong-keys';
/** An alert sent without its start that resolved fires again under the same key (src/workflows/alerts.ts). */
export const REFIRE_PATCH = 'alert-without-start-refires';
/** Every sender an incident took an alert from is noted, held or not (src/workflows/alerts.ts). */
export const SENDERS_SEEN_PATCH = 'senders-seen';

export function setIncidentHandlers(incident: Incident): void {
  const { state } = incident;
  setHandler(alertsSignal, (alerts) => receiveAlerts(incident, wellFormed(incident, alerts)));
  setHandler(stateQuery, () => state);
  setHandler(refusedDecisionSignal, (r) => {
    if (dropsMalformed(incident, 'a malformed refusedDecision signal was dropped', malformedRefusal(r)))
      return;
    note(
      incident,
      'decision-refused',
      `${r.actor} tried to ${r.decision} via ${r.via} and was refused: ${r.why}`,
      r.actor,
    );
  });
  setHandler(approveUpdate, (d) => decide(incident, 'approved', d), {
    validator: (d: Decision) => {
      validateDecision(incident, d);
      validateAgainstCalendar(incident, d);
    },
  });
  setHandler(rejectUpdate, (d) => decide(incident, 'rejected', d), {
    validator: (d: Decision) => validateDecision(incident, d),
  });
  setHandler(acknowledgeUpdate, (d) => acknowledge(incident, d), {
    validator: (d: Decision) => validateAcknowledgement(state, d),
  });
  setHandler(resolveUpdate, (d) => resolve(incident, d), {
    validator: (d: Decision) => validateResolution(incident, d),
  });
  setMergeHandlers(incident);
}

/** Takes delivered alerts into the incident: the `alerts` signal, and a run opened again with some. */
export function receiveAlerts(incident: Incident, alerts: Alert[]): void {
  const { state } = incident;
  const wasEmpty = state.alerts.length === 0;
  const severity = state.severity;
  const changed = absorbAlerts(state, alerts, {
    countsFiring: () => patched(LEDGER_FIRING_PATCH),
    keepsOpening: () => patched(OPENING_ALERT_PATCH),
    strongKeys: () => patched(STRONG_LEDGER_PATCH),
    refires: () => patched(REFIRE_PATCH),
    notesSenders: () => patched(SENDERS_SEEN_PATCH),
  });
  for (const alert of changed) {
    const { event, message } = alertNote(alert);
    note(incident, event, message);
  }
  if (wasEmpty && state.alerts.length > 0) describeIncident(state);
  else if (state.severity !== severity)
    upsertSearchAttributes([{ key: SA.severity, value: keywordValue(state.severity) }]);
  forwardAfterMerge(incident, changed);
}

/**
 * The signalled alerts the incident can take: malformed ones are dropped, and noted; the others are taken.
 * A run recorded before SIGNAL_CHECK_PATCH takes the payload whole, as it did.
 */
function wellFormed(incident: Incident, alerts: Alert[]): Alert[] {
  if (!Array.isArray(alerts)) {
    const dropped = dropsMalformed(
      incident,
      'a malformed alerts signal was dropped',
      'it is not a list of alerts',
    );
    return dropped ? [] : alerts;
  }
  const problems = alerts.map(malformedAlert);
  const first = problems.find((p) => p !== undefined);
  const bad = problems.filter((p) => p !== undefined).length;
  const message = `${bad} malformed ${bad === 1 ? 'alert' : 'alerts'} of ${alerts.length} in an alerts signal dropped (the first)`;
  return dropsMalformed(incident, message, first)
    ? alerts.filter((_, i) => problems[i] === undefined)
    : alerts;
}

/** Records an approval or rejection of the current round's plan (from a person, or from policy). */
export function decide(incident: Incident, kind: 'approved' | 'rejected', d: Decision): DecisionResult {
  const { state } = incident;
  const at = nowIso();
  const r = round(incident);
  state.approvals.push({ ...recorded(d), decision: kind, at, ...(r > 0 ? { round: r } : {}) });
  if (kind === 'approved') state.milestones.approved = nowIso();
  delete state.hold;
  const block = d.override ? calendarBlock(incident) : undefined;
  const overriding = block ? `, overriding ${describeBlock(block)}` : '';
  note(
    incident,
    kind,
    `${d.actor} ${kind} the remediation via ${d.via}${overriding}${d.reason ? `: ${d.reason}` : ''}`,
    d.actor,
  );
  return decisionResult(state, kind, d.actor, at);
}

function validateDecision(incident: Incident, d: Decision): void {
  const { state } = incident;
  validateActor(d);
  if (state.stage === 'closed') throw refusal(REFUSAL.closed, 'the incident is closed');
  // Resolved in this very task (a worker that was down gets both at once): the incident closes next, so
  // an approval must not send it on to act on a problem that is gone.
  if (settled(incident)) {
    const by = incident.resolvedBy
      ? `${incident.resolvedBy.actor} resolved the incident`
      : 'every alert has resolved';
    throw refusal(REFUSAL.closed, `${by}: the incident is closing and nothing will run`);
  }
  refuseWhileMerging(state);
  // A click or request made on the plan before a guard handed it back: the person has not seen this
  // round's plan (or its guard's refusal), so it must not count as their decision on it.
  if (d.round !== undefined && d.round !== round(incident)) {
    throw refusal(
      REFUSAL.stale,
      `this decision was made on approval round ${d.round}, but the incident is in round ${round(incident)}` +
        (state.guardRefusal ? ` since a guard refused an action (${state.guardRefusal})` : '') +
        ': look at the plan again and decide on it',
    );
  }
  refuseEarlierOpening(state, d.opened, 'decision');
  const prior = currentDecision(state);
  if (prior) throw refusal(REFUSAL.alreadyDecided, `already ${prior.decision} by ${prior.actor}`);
  const plan = state.recommendation;
  if (state.stage !== 'approve' || !plan) {
    throw refusal(
      REFUSAL.wrongStage,
      `the incident is in stage ${state.stage}; approval opens once a runbook is recommended`,
    );
  }
  const why = approvalRefusal(plan, d);
  if (why) throw refusal(REFUSAL.notAuthorized, why);
  if (round(incident) >= MAX_ROUNDS) {
    throw refusal(
      REFUSAL.rounds,
      `the guards handed this plan back ${round(incident)} times (last: ${state.guardRefusal ?? 'a refusal'}); ` +
        'it is not approved again: resolve the incident, or let its alerts resolve',
    );
  }
}

/**
 * While the change calendar blocks (a freeze, or outside the runbook's hours), a person may approve only
 * with an explicit override and a reason, which the approval record and the timeline keep. (Approval
 * opens only once the calendar has answered: see openApproval.)
 */
function validateAgainstCalendar(incident: Incident, d: Decision): void {
  if (d.override === true) return;
  if (calendarOutdated(incident)) {
    throw refusal(
      REFUSAL.calendarUnread,
      `the change calendar, last read at ${incident.state.calendar?.checkedAt ?? '?'}, is due to be read again and has not been: try again in a minute, or approve with an override and a reason`,
    );
  }
  const block = calendarBlock(incident);
  if (!block) return;
  throw refusal(
    REFUSAL.frozen,
    `${describeBlock(block)}; to approve anyway, approve with an override and a reason`,
  );
}

function acknowledge(incident: Incident, d: Decision): DecisionResult {
  const { state } = incident;
  const at = nowIso();
  state.approvals.push({ ...recorded(d), decision: 'acknowledged', at });
  delete state.nextEscalationAt;
  note(
    incident,
    'acknowledged',
    `${d.actor} acknowledged the incident; escalation stops${d.reason ? `: ${d.reason}` : ''}`,
    d.actor,
  );
  return decisionResult(state, 'acknowledged', d.actor, at);
}

function validateAcknowledgement(state: IncidentState, d: Decision): void {
  validateActor(d);
  if (state.stage === 'closed') throw refusal(REFUSAL.closed, 'the incident is closed');
  refuseEarlierOpening(state, d.opened, 'decision');
  // An acknowledgement stops the plan's escalation and so its final policy: only someone who may decide
  // on the plan may stop them (anyone may acknowledge an incident with no plan, as before).
  const plan = state.recommendation;
  const why = plan && state.stage === 'approve' ? approvalRefusal(plan, d) : undefined;
  if (why) throw refusal(REFUSAL.notAuthorized, `${why}, so may not stop its escalation`);
  if (state.approvals.some((a) => a.decision === 'acknowledged' && a.actor === d.actor)) {
    throw refusal(REFUSAL.alreadyDecided, `${d.actor} already acknowledged this incident`);
  }
}

function resolve(incident: Incident, d: Decision): DecisionResult {
  incident.resolvedBy = recorded(d);
  note(
    incident,
    'resolved-by-human',
    `${d.actor} resolved the incident via ${d.via}${d.reason ? `: ${d.reason}` : ''}`,
    d.actor,
  );
  return decisionResult(incident.state, 'resolved', d.actor, nowIso());
}

function validateResolution({ state, resolvedBy }: Incident, d: Decision): void {
  validateActor(d);
  if (state.stage === 'closed' || resolvedBy) throw refusal(REFUSAL.closed, 'the incident is already closed');
  refuseEarlierOpening(state, d.opened, 'decision');
  refuseWhileMerging(state);
  refuseDuringRemediation(state);
}

/**
 * A merge sets `mergedInto` and then waits for its target's answer (src/workflows/incident/merge.ts).
 * Meanwhile an approval would send the incident on to act while its alerts go to the target, which could
 * plan the same fix again, and a resolution would be overwritten by the merge: both are refused. A merge
 * the target refused is undone, and the incident takes decisions again.
 */
function refuseWhileMerging(state: IncidentState): void {
  if (state.mergedInto === undefined) return;
  throw refusal(
    REFUSAL.closed,
    `the incident is being merged into ${state.mergedInto} and closes: decide on ${state.mergedInto}`,
  );
}

/**
 * Who may decide on a plan. Approval fails closed: a medium or high-risk plan with nobody named may be
 * decided by nobody, since "anyone who can see the message" includes guests and bots. A low-risk plan
 * without approvers may be decided by anyone with the approve role, as before.
 */
export function approvalRefusal(plan: Recommendation, d: Decision): string | undefined {
  if (plan.approvers.length === 0) {
    return plan.risk === 'low'
      ? undefined
      : `runbook ${plan.runbookId} is ${plan.risk} risk and names no approvers, so nobody may decide on it; set approvers in the runbook or STEADFAST_APPROVERS`;
  }
  const allowed = [d.actor, ...(d.groups ?? [])].some((who) => plan.approvers.includes(who));
  return allowed ? undefined : `${d.actor} is not an approver for runbook ${plan.runbookId}`;
}

/** Decisions also arrive raw from the Temporal CLI, so their shape is checked here too. */
function validateActor(d: Decision): void {
  if (!d || !isText(d.actor, DECISION_BOUNDS.actor))
    throw refusal(REFUSAL.invalid, 'a decision needs the actor who made it');
  if (!isText(d.via, DECISION_BOUNDS.via))
    throw refusal(REFUSAL.invalid, 'a decision needs the channel it came through (via)');
  if (d.reason !== undefined && (typeof d.reason !== 'string' || d.reason.length > 2000)) {
    throw refusal(REFUSAL.invalid, 'a reason is text of at most 2000 characters');
  }
  if (d.groups !== undefined && !(Array.isArray(d.groups) && d.groups.every((g) => isText(g, 200)))) {
    throw refusal(REFUSAL.invalid, 'groups is a list of group names');
  }
  if (d.override !== undefined && typeof d.override !== 'boolean') {
    throw refusal(REFUSAL.invalid, 'override is true or false');
  }
  if (d.override === true && !(typeof d.reason === 'string' && d.reason.trim().length > 0)) {
    throw refusal(REFUSAL.invalid, 'an override needs a reason');
  }
  if (d.round !== undefined && !(Number.isSafeInteger(d.round) && d.round >= 0)) {
    throw refusal(REFUSAL.invalid, 'round is a whole number from 0');
  }
  if (d.opened !== undefined && !isText(d.opened, 64))
    throw refusal(REFUSAL.invalid, 'opened is an ISO time');
  refuseExpired(d.expiresAt, 'decision');
}

/**
 * A decision as the incident keeps it: when its sender stopped waiting is no part of it, nor the round
 * the sender saw (the record's round is the incident's).
 */
function recorded(d: Decision): Decision {
  const kept = { ...d };
  delete kept.expiresAt;
  delete kept.round;
  delete kept.opened;
  return kept;
}

/** The incident's name, service and milestones, from its first alert. */
function describeIncident(state: IncidentState): void {
  const alert = state.alerts[0];
  if (!alert) return;
  state.alertName = alert.alertName;
  state.service = serviceOf(alert.labels);
  state.title = alert.annotations['summary'] ?? `${alert.alertName} on ${state.service}`;
  state.milestones.alertFiring ??= alert.startsAt;
  const fault = faultStartOf(alert.annotations);
  if (fault !== undefined) state.milestones.fault ??= fault;
  // Alert text: cut to the server's limit, which would otherwise terminate the workflow.
  upsertSearchAttributes([
    { key: SA.service, value: keywordValue(state.service) },
    { key: SA.alertName, value: keywordValue(state.alertName) },
    { key: SA.severity, value: keywordValue(state.severity) },
  ]);
}
