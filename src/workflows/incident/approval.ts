import { condition, patched } from '@temporalio/workflow';
import { escalationFor, type EscalationPlan, type Recommendation } from '../../domain/incident.js';
import { currentDecision, runsAgainSentence, sendersOf, type Decided } from '../../domain/incident-view.js';
import { ANNOUNCE_PATCH, announceToWebhooks, postAnnouncement } from './announce.js';
import {
  CALENDAR_PATCH,
  calendarBlock,
  calendarReadDue,
  holdAutoApproval,
  noteBlockForPeople,
  readCalendar,
  refreshCalendar,
} from './calendar.js';
import { enter, historyTooLong, note, round, settled, tell, type Incident } from './context.js';
import { approvalRefusal, decide } from './handlers.js';
import { rollOver } from './lifecycle.js';
import { notifyLevel } from './notify-level.js';

/** The final policy does not decide when a person did while it read the calendar. */
export const DECIDED_MEANWHILE_PATCH = 'policy-yields-to-person';

/** A plan of an incident holding alerts of several senders is never approved by a policy. */
export const MIXED_SENDERS_PATCH = 'policy-one-sender';

/**
 * Patch: no policy approves while a merge asks its target. The merge waits up to 10 s for the answer;
 * a policy that approved meanwhile sent the incident on to act while its alerts went to the target,
 * which could plan the same fix, and the merge then marked it resolved mid-remediation.
 */
export const POLICY_AFTER_MERGE_PATCH = 'policy-waits-for-merge';

/** Patch: approval opens once the change calendar has been read (see openApproval). */
export const CALENDAR_BEFORE_APPROVE_PATCH = 'calendar-before-approve';

/** Patch: Slack is told the decision in the words of the latest such entry, not the first round's. */
export const DECISION_TOLD_LATEST_PATCH = 'decision-told-latest';

/**
 * Waits, when a merge is asking its target, until it went through (settled) or was undone; answers
 * whether it waited (a person may have decided meanwhile too).
 */
async function mergeAnswered(incident: Incident): Promise<boolean> {
  if (incident.state.mergedInto === undefined || !patched(POLICY_AFTER_MERGE_PATCH)) return false;
  await condition(() => incident.state.mergedInto === undefined || settled(incident));
  return true;
}

/** How waiting for a decision on the plan ended. */
export type DecisionWait =
  /** Approved or rejected, by a person or by the final policy. */
  | { kind: 'decided'; decision: Decided }
  /** Resolved by a person, or by its alerts, before anyone decided. */
  | { kind: 'settled' }
  /** Nobody decided, and the final policy is to abort. */
  | { kind: 'aborted'; message: string };

/**
 * 5. approve: waits for the current round's decision, escalating level by level while nobody answers.
 * A decision taken already (in this run or a run before it) is the answer at once.
 */
export async function awaitDecision(incident: Incident, plan: Recommendation): Promise<DecisionWait> {
  const { state } = incident;
  const prior = currentDecision(state);
  if (prior) return decided(incident, prior);
  if (state.stage !== 'approve') await openApproval(incident, plan);
  // A plan approved at once skips the timer, whose resolution on a server is about a second: that
  // second would be most of the time to act. A guard's refusal always goes back to people.
  // During a freeze the plan waits: the final policy below holds it until the calendar allows it.
  const immediate = round(incident) === 0 && plan.approval === 'immediate';
  if (immediate) await mergeAnswered(incident);
  const frozen = patched(CALENDAR_PATCH) && calendarBlock(incident) !== undefined;
  if (immediate && !frozen && !currentDecision(state) && !settled(incident) && policyMayApprove(incident)) {
    decide(incident, 'approved', {
      actor: 'policy:auto-approve',
      via: 'policy',
      reason: 'low-risk runbook; auto-approval is configured',
    });
  }
  const aborted = await escalateUntilAnswered(incident, plan);
  if (aborted) return aborted;
  if (incident.resolvedBy) return { kind: 'settled' };
  const decision = currentDecision(state);
  // Without a decision the wait ended because every alert resolved.
  return decision ? decided(incident, decision) : { kind: 'settled' };
}

/** An acknowledgement made before the plan stops its escalation only if its author may decide on it. */
export const ACK_BY_DECIDER_PATCH = 'ack-by-decider';

/** The decision goes to Slack, in the words of its timeline entry. */
async function decided(incident: Incident, decision: Decided): Promise<DecisionWait> {
  const { timeline } = incident.state;
  // After a guard handed the plan back, the first such entry is an earlier round's (another actor's).
  const entry = patched(DECISION_TOLD_LATEST_PATCH)
    ? [...timeline].reverse().find((t) => t.event === decision.decision)
    : timeline.find((t) => t.event === decision.decision);
  await tell(incident, entry?.message ?? decision.decision);
  return { kind: 'decided', decision };
}

/** Enters the stage, sets the escalation clock and posts the incident's Slack message. */
async function openApproval(incident: Incident, plan: Recommendation): Promise<void> {
  const { input, state } = incident;
  // Since the patch the calendar is read before the stage opens: an approval sent the moment the stage
  // showed was checked against no outlook at all, and passed a freeze.
  // (Asked first: runs without it ask CALENDAR_PATCH after entering the stage, and replay in that order.)
  const readFirst = patched(CALENDAR_BEFORE_APPROVE_PATCH) && patched(CALENDAR_PATCH);
  if (!readFirst) enter(incident, 'approve');
  if (patched(CALENDAR_PATCH)) {
    const block = await readCalendar(incident, plan);
    if (readFirst) enter(incident, 'approve');
    if (block) noteBlockForPeople(incident, block);
  }
  // Someone who acknowledged early owns the incident: no escalation clock for them. Since the patch, only
  // someone who may decide on this plan: anyone could acknowledge before there was one, and an
  // acknowledgement without a clock leaves neither escalation nor the final policy.
  const acks = state.approvals.filter((a) => a.decision === 'acknowledged');
  const owned =
    acks.length > 0 && patched(ACK_BY_DECIDER_PATCH)
      ? acks.some((a) => approvalRefusal(plan, a) === undefined)
      : acks.length > 0;
  if (!owned) {
    // After a refusal the chain starts at once: people must hear that the automation stopped.
    const escalation = escalationFor(plan, round(incident));
    const wait = round(incident) > 0 && escalation.levels.length > 0 ? 0 : escalation.timeoutMs;
    state.nextEscalationAt = new Date(Date.now() + wait).toISOString();
  }
  note(
    incident,
    'awaiting-approval',
    round(incident) > 0
      ? `waiting for a person to approve "${plan.title}" again or resolve the incident, after a guard refused an action`
      : `waiting for approval of "${plan.title}" (${plan.risk} risk)`,
  );
  await postAnnouncement(incident, plan.slack?.channel ?? input.announce?.channel);
  if (patched(ANNOUNCE_PATCH)) await announceToWebhooks(incident);
}

/**
 * Waits for a decision or a resolution, escalating whenever the clock runs out; at the end of the chain
 * the final policy approves or aborts. Answers only when the policy aborts.
 */
async function escalateUntilAnswered(
  incident: Incident,
  plan: Recommendation,
): Promise<Extract<DecisionWait, { kind: 'aborted' }> | undefined> {
  const { state } = incident;
  for (;;) {
    const escalation = escalationFor(plan, round(incident));
    const planned = state.nextEscalationAt;
    const escalateAt = planned ? Date.parse(planned) : undefined;
    const readAt = calendarReadDue(incident);
    const wakeAt =
      readAt === undefined || (escalateAt !== undefined && escalateAt <= readAt) ? escalateAt : readAt;
    const deadline = wakeAt !== undefined ? wakeAt - Date.now() : undefined;
    // An acknowledgement changes the plan (no more escalation), so it wakes the wait too.
    const ready = (): boolean =>
      currentDecision(state) !== undefined ||
      settled(incident) ||
      historyTooLong(incident) ||
      state.nextEscalationAt !== planned;
    const answered =
      deadline === undefined ? (await condition(ready), true) : await condition(ready, Math.max(deadline, 1));
    if (currentDecision(state) || settled(incident)) return undefined;
    if (answered && historyTooLong(incident)) await rollOver(incident);
    if (answered) continue;
    // Woken to read the calendar, not to escalate (which, when both are due, goes first).
    if (
      readAt !== undefined &&
      Date.now() >= readAt &&
      (escalateAt === undefined || Date.now() < escalateAt)
    ) {
      await refreshCalendar(incident, plan);
      continue;
    }
    const level = escalation.levels[state.escalationLevel];
    if (level) {
      await escalate(incident, plan, level);
      continue;
    }
    // A refusal by a guard is never approved by policy: only a person may retry past a guard.
    if (escalation.finalPolicy === 'auto-approve' && plan.risk === 'low' && round(incident) === 0) {
      // The incident stays open for people: a sender that joins it cannot make it abort either.
      if (!policyMayApprove(incident)) {
        delete state.nextEscalationAt;
        continue;
      }
      if ((await mergeAnswered(incident)) && (currentDecision(state) || settled(incident))) return undefined;
      // The calendar is read again: a freeze declared while the incident waited counts.
      const block = patched(CALENDAR_PATCH) ? await readCalendar(incident, plan) : undefined;
      // A person may have decided, or resolved the incident, while the calendar was read: theirs is the
      // answer, and the policy records nothing beside it.
      if ((currentDecision(state) || settled(incident)) && patched(DECIDED_MEANWHILE_PATCH)) return undefined;
      if (block) {
        holdAutoApproval(incident, block);
        continue;
      }
      const held = state.hold;
      decide(incident, 'approved', {
        actor: 'policy:auto-approve',
        via: 'policy',
        reason: held
          ? `the change calendar allows it again (held since ${held.since}); low-risk runbook`
          : 'nobody answered; low-risk runbook',
      });
      return undefined;
    }
    return {
      kind: 'aborted',
      message:
        round(incident) > 0
          ? 'nobody took over after a guard refused an action; the final policy is to abort'
          : 'nobody approved in time; the final policy is to abort',
    };
  }
}

/** Tells the next level of the chain, and sets the clock for the one after it. */
async function escalate(
  incident: Incident,
  plan: Recommendation,
  level: EscalationPlan['levels'][number],
): Promise<void> {
  const { state } = incident;
  state.escalationLevel++;
  state.nextEscalationAt = new Date(Date.now() + level.waitMs).toISOString();
  // A level an escalation rule added says which (src/rules/); the runbook's own levels read as before.
  const by = level.rule !== undefined ? ` by rule "${level.rule}"` : '';
  note(incident, 'escalated', `no decision yet: escalated to level ${state.escalationLevel}${by}`);
  await tell(incident, `No decision yet: escalated to level ${state.escalationLevel}${by}.`);
  await notifyLevel(
    incident,
    level.notify,
    state.guardRefusal
      ? `A guard stopped the remediation: ${state.guardRefusal}. ${plan.explanation}`
      : plan.explanation,
  );
}

/**
 * A guard refused an action: the incident goes back to people in a new round, in which the earlier
 * approval no longer counts.
 */
export async function handBackToPeople(incident: Incident, reason: string): Promise<void> {
  const { state } = incident;
  state.round = round(incident) + 1;
  state.guardRefusal = reason;
  state.escalationLevel = 0;
  const again = runsAgainSentence(state);
  note(
    incident,
    'handed-to-people',
    `a guard refused an action, so the incident waits for a person: ${reason}` + (again ? `. ${again}` : ''),
  );
  await tell(
    incident,
    `A guard refused an action: ${reason}. ${again ? `${again} ` : ''}Approve again to retry, or resolve.`,
  );
}

/**
 * Whether a policy may approve the plan: not when the incident holds alerts of several senders (see
 * sendersOf), as when a stranger's alert opened it first and named another container. The timeline says
 * so once; the plan then waits for a person, who sees each alert's sender.
 */
function policyMayApprove(incident: Incident): boolean {
  const senders = sendersOf(incident.state);
  if (senders.length <= 1 || !patched(MIXED_SENDERS_PATCH)) return true;
  if (!incident.state.timeline.some((t) => t.event === 'policy-withheld')) {
    note(
      incident,
      'policy-withheld',
      `alerts from ${senders.length} senders (${senders.join(', ')}) share this incident, and its plan reads the first alert: a person must approve it, no policy will`,
    );
  }
  return false;
}
