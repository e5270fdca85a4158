import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Decision, RefusedDecision } from '../domain/incident.js';
import {
  acknowledgeUpdate,
  approveUpdate,
  type DecisionResult,
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

/** The workflow's reason for refusing a decision, when it refused one (as opposed to being gone). */
export function refusalOf(err: unknown): ApplicationFailure | undefined {
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  return cause instanceof ApplicationFailure ? cause : undefined;
}

/**
 * Sends a person's decision to an incident, whichever way it came (API, Slack). A refusal (not an
 * approver, too late, twice) is recorded in the incident's timeline before it is passed on, so the
 * audit trail holds every attempt, not only the ones that were let through.
 */
export async function sendDecision(
  client: Client,
  incidentId: string,
  verb: DecisionVerb,
  decision: Decision,
): Promise<DecisionResult> {
  const handle = client.workflow.getHandle(incidentId);
  try {
    return await handle.executeUpdate(UPDATES[verb], { args: [decision] });
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal && refusal.type !== REFUSAL.closed) {
      const refused: RefusedDecision = { ...decision, decision: verb, why: refusal.message };
      await handle.signal(refusedDecisionSignal, refused).catch(() => undefined);
    }
    throw err;
  }
}
