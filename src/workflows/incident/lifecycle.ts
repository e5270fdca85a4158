import {
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import type { Alert } from '../../domain/alert.js';
import type { ApprovalRecord, IncidentInput, IncidentState, Outcome } from '../../domain/incident.js';
import { firedSince, firingNow } from '../alerts.js';
import { OPENING_MEMO, type IncidentWorkflow } from '../messages.js';
import { incidentClosed } from '../records.js';
import { SA } from '../search-attributes.js';
import { RECORDS } from './activities.js';
import { ANNOUNCE_PATCH } from './announce.js';
import {
  enter,
  errorMessage,
  historyTooLong,
  note,
  nowIso,
  settled,
  tell,
  type Incident,
} from './context.js';
import { receiveAlerts } from './handlers.js';
import { escalateByRule, nextRuleDue, readRuleEscalation, RULES_PATCH } from './rules.js';
import { expireSilences } from './silence.js';

const records = proxyActivities<Pick<IncidentActivities, 'recordIncidentClosed'>>(RECORDS);

/** Closing clears the planned next escalation (see close). */
export const CLOSED_ESCALATES_NO_MORE_PATCH = 'closed-escalates-no-more';

/** Records the outcome everywhere (state, search attributes, timeline, Slack, report) and ends the run. */
export async function close(incident: Incident, outcome: Outcome, message: string): Promise<IncidentState> {
  const { state } = incident;
  incident.firingAtClose = firingNow(state);
  state.outcome = outcome;
  // A closed incident escalates no more: its planned next level read as still due. Asked only when one
  // was planned, so runs closed before the patch replay as they ran.
  if (state.nextEscalationAt !== undefined && patched(CLOSED_ESCALATES_NO_MORE_PATCH)) {
    delete state.nextEscalationAt;
  }
  enter(incident, 'closed');
  await expireSilences(incident);
  state.closedAt = nowIso();
  state.milestones.closed = state.closedAt;
  upsertSearchAttributes([{ key: SA.outcome, value: outcome }]);
  note(incident, 'closed', message);
  await tell(incident, message);
  // The incident has decided; its record (report, metrics, evidence) failing after every attempt must
  // not fail the run, and the decision with it: the timeline says what was not written.
  try {
    await records.recordIncidentClosed(incidentClosed(state));
  } catch (err) {
    if (isCancellation(err)) throw err;
    note(incident, 'record-failed', `the closing record could not be written: ${errorMessage(err)}`);
  }
  await condition(allHandlersFinished);
  return state;
}

/** Alerts that fire as an incident closes open it again, as a new run (see openAgainIfFiredAsClosed). */
export const FIRED_AS_CLOSED_PATCH = 'fired-as-closed-opens-again';

/**
 * Patch: a run opened again takes the late alerts once. Its input names them, and a rollover carries the
 * input on: each later run took them again, marking an alert that had since resolved firing once more
 * (the incident then never settled, and a check that all alerts resolve failed a working fix).
 */
export const REOPEN_ONCE_PATCH = 'reopen-once';

/**
 * Ends the run by opening the incident again, as a new run of its workflow, when alerts fired after it
 * decided to close: while it expired its silences, told Slack or wrote its report. The API had answered
 * them 202, yet no decision covered them, and Alertmanager sends an unchanged group again only after its
 * repeat_interval (hours). A moment later they would have opened the incident again through the API; so
 * they do here. An incident merged into another is left alone: its late alerts were sent there.
 */
export async function openAgainIfFiredAsClosed(incident: Incident): Promise<void> {
  const before = incident.firingAtClose;
  if (!before || incident.state.mergedInto) return;
  const late = firedSince(incident.state, before);
  if (late.length === 0 || !patched(FIRED_AS_CLOSED_PATCH)) return;
  note(
    incident,
    'opened-again',
    `${alertCount(late)} fired as the incident closed: it opens again, as a new run`,
  );
  // close() waited for the handlers already, and they take alerts synchronously: `late` is all of them.
  return continueNaming({ ...freshInput(incident.input), firedAsClosed: late }, nowIso());
}

/**
 * Patch: a run opened again names its opening in its memo (OPENING_MEMO), and its rollovers carry it on.
 * Without it an API process took the new opening for a rollover of the closed run, which carries what
 * that run held, and left out of a re-sent group the alerts it had delivered to the closed run.
 */
export const OPENING_MEMO_PATCH = 'opening-memo';

/**
 * Continues as a new run that names `opening` in its memo (Temporal carries no memo over by itself); the
 * patch is asked only when there is an opening to name, so other runs continue as they always did.
 */
function continueNaming(input: IncidentInput, opening: unknown): Promise<never> {
  if (opening === undefined || !patched(OPENING_MEMO_PATCH)) return continueAsNew<IncidentWorkflow>(input);
  return makeContinueAsNewFunc<IncidentWorkflow>({ memo: { [OPENING_MEMO]: opening } })(input);
}

const alertCount = (alerts: readonly Alert[]): string =>
  alerts.length === 1 ? '1 alert' : `${alerts.length} alerts`;

/** The input of a new incident in the same workflow: nothing carried, nothing handed over. */
function freshInput(input: IncidentInput): IncidentInput {
  const fresh = { ...input };
  delete fresh.carried;
  delete fresh.firedAsClosed;
  return fresh;
}

/**
 * Starts a run opened again by alerts that fired as the run before closed. Continue-as-new carries the
 * search attributes over, so the closed run's outcome, runbook and stage are cleared first.
 */
export function openAgain(incident: Incident, alerts: Alert[]): void {
  upsertSearchAttributes([
    { key: SA.stage, value: incident.state.stage },
    { key: SA.outcome, value: null },
    { key: SA.runbook, value: null },
  ]);
  note(incident, 'opened-again', `opened again by ${alertCount(alerts)} that fired as the run before closed`);
  receiveAlerts(incident, alerts);
}

const acknowledgements = ({ state }: Incident): ApprovalRecord[] =>
  state.approvals.filter((a) => a.decision === 'acknowledged');

/** Closes an incident that a person or its alerts resolved `when` (e.g. "before triage"). */
export function closeSettled(incident: Incident, when: string): Promise<IncidentState> {
  const by = incident.resolvedBy;
  return by
    ? close(incident, 'resolved', `resolved by ${by.actor} ${when}`)
    : close(incident, 'resolved', `all alerts resolved ${when}; nothing was run`);
}

/** A resolution or merge that finished while a run waited to roll over closes that run (see rollOver). */
export const SETTLED_BEFORE_ROLLOVER_PATCH = 'settled-before-rollover';

/**
 * Continues as a new run carrying the state, once the handlers in flight have finished. A person's
 * resolution or merge lives beside the state, not in it, so one that finished during that wait would be
 * lost to the new run (a merged incident went on waiting and escalating, and its final policy could
 * act): then the run returns instead, and its caller, seeing it settled, closes it.
 */
export async function rollOver(incident: Incident): Promise<void> {
  await condition(allHandlersFinished);
  if (incident.resolvedBy && patched(SETTLED_BEFORE_ROLLOVER_PATCH)) return;
  note(
    incident,
    'continued-as-new',
    `history reached ${workflowInfo().historyLength} events; continuing as a new run`,
  );
  // A run opened again carries its opening on.
  return continueNaming({ ...incident.input, carried: incident.state }, workflowInfo().memo?.[OPENING_MEMO]);
}

/**
 * Patch: the acknowledgements told in the incident's thread are those after the announcement, including
 * one that arrives while the escalation rules are read (it was counted as old, and never told).
 */
export const ACK_DURING_RULES_PATCH = 'ack-during-rules';

/**
 * Nothing to run: the incident stays open for people until its alerts resolve or someone resolves it.
 * Its Slack message (announced since ANNOUNCE_PATCH) is told of each acknowledgement meanwhile, and the
 * escalation rules that match it (since RULES_PATCH) page their recipients until someone acknowledges.
 */
export async function waitForPeople(incident: Incident): Promise<IncidentState> {
  const following = patched(ANNOUNCE_PATCH);
  // Counted before the rules are read: an acknowledgement that came while they were read was never told.
  const before = patched(ACK_DURING_RULES_PATCH) ? acknowledgements(incident).length : undefined;
  if (patched(RULES_PATCH)) await readRuleEscalation(incident);
  let told = before ?? acknowledgements(incident).length;
  const acknowledged = (): boolean => following && acknowledgements(incident).length !== told;
  while (!settled(incident)) {
    const ready = (): boolean => settled(incident) || historyTooLong(incident) || acknowledged();
    // Without a rule left to fire (always so in runs before the patch) the wait has no timer.
    const due = nextRuleDue(incident);
    const woke =
      due === undefined ? (await condition(ready), true) : await condition(ready, Math.max(due, 1));
    if (settled(incident)) break;
    if (!woke) await escalateByRule(incident);
    else if (acknowledged()) {
      const all = acknowledgements(incident);
      told = all.length;
      await tell(incident, `${all.at(-1)?.actor ?? 'someone'} acknowledged the incident: they own it now`);
    } else if (historyTooLong(incident)) await rollOver(incident);
  }
  const by = incident.resolvedBy;
  return by
    ? close(incident, 'resolved', `resolved by ${by.actor}`)
    : close(incident, 'no-runbook', 'all alerts resolved; no runbook applied');
}
