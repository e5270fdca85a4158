import {
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { LRUCache } from 'lru-cache';
import type { Decision, RefusedDecision } from '../domain/incident.js';
import {
  acknowledgeUpdate,
  approveUpdate,
  type DecisionResult,
  INCIDENT_ID,
  INCIDENT_WORKFLOW_TYPE,
  REFUSAL,
  refusedDecisionSignal,
  rejectUpdate,
  resolveUpdate,
} from '../workflows/messages.js';

export type DecisionVerb = RefusedDecision['decision'];

const UPDATES = {
  approve: approveUpdate,
  reject: rejectUpdate,
  acknowledge: acknowledgeUpdate,
  resolve: resolveUpdate,
} as const;

const NOTED_REFUSALS: ReadonlySet<string> = new Set(Object.values(REFUSAL));

/**
 * Refusals this process signals into one incident's timeline in an hour. A refused update leaves no
 * history, but the signal that notes it does (four events, up to 2 KiB), and an incident that is
 * remediating or verifying does not continue as new: refusals sent without end would push its run past
 * Temporal's history limit, which terminates it before it rolls back or closes. The timeline shows the
 * first and the latest 20 anyway; past this many, a refusal is still answered, only not noted. By the
 * hour, so an incident ID that opens again days later has its refusals noted again.
 */
export const REFUSALS_NOTED_PER_INCIDENT = 100;
const REFUSAL_WINDOW_MS = 60 * 60_000;
/**
 * Incidents whose noted refusals are counted, the least recently refused leaving first: an incident
 * refused without end stays counted however many others are refused beside it.
 */
const refusalsNoted = new LRUCache<string, { count: number; since: number }>({ max: 10_000 });

/** Whether one more refusal may be noted in `incidentId`'s timeline by this process, counting it. */
export function mayNoteRefusal(incidentId: string, now = Date.now()): boolean {
  const known = refusalsNoted.get(incidentId);
  const current = known && now - known.since < REFUSAL_WINDOW_MS ? known : { count: 0, since: now };
  if (current.count >= REFUSALS_NOTED_PER_INCIDENT) return false;
  refusalsNoted.set(incidentId, { count: current.count + 1, since: current.since });
  return true;
}

/** The workflow's reason for refusing a decision, when it refused one (as opposed to being gone). */
export function refusalOf(err: unknown): ApplicationFailure | undefined {
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  return cause instanceof ApplicationFailure ? cause : undefined;
}

/**
 * How long before the sender's deadline a decision expires: the time an accepted decision's answer has to
 * reach the sender. Clocks of the API and the Temporal server are assumed to agree within it.
 */
export const DECISION_ANSWER_MS = 1000;

/**
 * How long a decision made in Slack waits for its incident. The click is acknowledged at once and answered
 * later, so it may wait longer than the API's request, but not without end: a click made while the worker
 * is down must not be carried out when it returns, hours later, by someone who has moved on.
 */
export const CHAT_DECISION_WAIT_MS = 10_000;

/** A wait as a person reads it: 1.5s, not 2s; whole seconds from 10s. */
const seconds = (ms: number): string => `${ms < 10_000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000)}s`;

/** The incident did not take the decision up before the deadline (its worker may be down). */
export class DecisionUnanswered extends Error {
  constructor(incidentId: string, waitedMs: number) {
    super(
      `incident ${incidentId} did not take the decision up within ${seconds(waitedMs)} ` +
        '(Temporal or its worker may be down or stalled). A worker that takes it up later refuses it, ' +
        'unless that worker had been handed it in time and was stalled since: look at the incident ' +
        '(its approvals) before you send it again',
    );
    this.name = 'DecisionUnanswered';
  }
}

/**
 * Sends a person's decision to an incident, whichever way it came (API, Slack). A refusal (not an
 * approver, too late, twice) is recorded in the incident's timeline before it is passed on, so the
 * audit trail holds every attempt, not only the ones that were let through.
 *
 * With a deadline (epoch ms) the decision expires DECISION_ANSWER_MS before it: Temporal keeps an update
 * it was sent while no worker runs and delivers it when one comes back, so without the expiry an
 * approval answered "nothing was recorded" would still be carried out minutes later.
 */
export async function sendDecision(
  client: Client,
  incidentId: string,
  verb: DecisionVerb,
  decision: Decision,
  deadlineMs?: number,
): Promise<DecisionResult> {
  const handle = client.workflow.getHandle(incidentId);
  try {
    if (deadlineMs === undefined) return await handle.executeUpdate(UPDATES[verb], { args: [decision] });
    const expiring = { ...decision, expiresAt: new Date(deadlineMs - DECISION_ANSWER_MS).toISOString() };
    const started = Date.now();
    return await client
      .withDeadline(deadlineMs, () => handle.executeUpdate(UPDATES[verb], { args: [expiring] }))
      .catch((err: unknown) => {
        const unanswered =
          err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || Date.now() >= deadlineMs;
        throw unanswered ? new DecisionUnanswered(incidentId, Date.now() - started) : err;
      });
  } catch (err) {
    const refusal = refusalOf(err);
    // Only an incident's own refusals are noted in its timeline: another workflow's ID (the remediation
    // guard's matches the pattern) answers an unknown update, and must not be signalled.
    const noted = refusal && refusal.type !== REFUSAL.closed && NOTED_REFUSALS.has(refusal.type ?? '');
    if (noted && mayNoteRefusal(incidentId)) {
      const refused: RefusedDecision = { ...decision, decision: verb, why: refusal.message };
      await handle.signal(refusedDecisionSignal, refused).catch(() => undefined);
    }
    throw err;
  }
}

/**
 * Notes in an incident's timeline a decision an edge refused before sending it (a Slack user of another
 * workspace), as sendDecision notes the ones the incident refused, within the same count. Only a running
 * incident is signalled: a typed ID may name another workflow (the remediation guard's matches the
 * pattern), which must not be sent signals it never reads.
 */
export async function noteEdgeRefusal(
  client: Client,
  incidentId: string,
  refused: RefusedDecision,
): Promise<void> {
  if (!INCIDENT_ID.test(incidentId)) return;
  const handle = client.workflow.getHandle(incidentId);
  const described = await handle.describe().catch(() => undefined);
  if (described?.type !== INCIDENT_WORKFLOW_TYPE || described.status.name !== 'RUNNING') return;
  if (mayNoteRefusal(incidentId)) await handle.signal(refusedDecisionSignal, refused).catch(() => undefined);
}
