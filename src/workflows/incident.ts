import { patched } from '@temporalio/workflow';
import type { IncidentInput, IncidentState, Recommendation } from '../domain/incident.js';
import { ANNOUNCE_PATCH, announceUnmatched } from './incident/announce.js';
import { awaitDecision, handBackToPeople } from './incident/approval.js';
import { enter, type Incident, nowIso, openIncident, settled } from './incident/context.js';
import { setIncidentHandlers } from './incident/handlers.js';
import {
  close,
  closeSettled,
  openAgain,
  openAgainIfFiredAsClosed,
  REOPEN_ONCE_PATCH,
  waitForPeople,
} from './incident/lifecycle.js';
import { forwardsSent } from './incident/merge.js';
import { dryRun, remediate, type RemediationResult } from './incident/saga.js';
import { SILENCE_BESIDE_PATCH, silenceWhileFixing } from './incident/silence.js';
import { collect, detect, predict, recommend, resume } from './incident/triage.js';
import { verifyRemediation } from './incident/verification.js';

/**
 * One incident, from its first alert to a verified fix or a clear outcome. Every stage is recorded in
 * the state (query `state`) and in search attributes. A long, noisy incident continues as new at a
 * safe point, carrying its state, so its history stays small.
 */
export async function incidentWorkflow(input: IncidentInput): Promise<IncidentState> {
  const incident = openIncident(input);
  setIncidentHandlers(incident);
  if (input.firedAsClosed && (!input.carried || !patched(REOPEN_ONCE_PATCH))) {
    openAgain(incident, input.firedAsClosed);
  }
  const closed = await run(incident);
  // A merged incident's last alerts are still on their way to the target: they are sent before it ends.
  await forwardsSent(incident);
  await openAgainIfFiredAsClosed(incident);
  return closed;
}

async function run(incident: Incident): Promise<IncidentState> {
  const { state, input } = incident;
  if (!input.carried) {
    await collect(incident);
    // Resolved while its alerts were still gathering: nothing to triage.
    if (settled(incident)) return closeSettled(incident, 'before triage');
  } else {
    resume(incident);
  }
  const detection = await detect(incident);
  await predict(incident, detection);
  await recommend(incident);

  const plan = state.recommendation;
  if (!plan) {
    if (patched(ANNOUNCE_PATCH)) await announceUnmatched(incident);
    return waitForPeople(incident);
  }

  // 5. approve and 6. remediate. A guard that refuses an action hands the incident back to people, so
  // the two stages repeat until a remediation runs or someone decides.
  for (;;) {
    const answer = await awaitDecision(incident, plan);
    if (answer.kind === 'aborted') return close(incident, 'aborted', answer.message);
    if (answer.kind === 'settled') return closeSettled(incident, 'before remediation');
    const { decision } = answer;
    if (decision.decision === 'rejected')
      return close(incident, 'rejected', `remediation rejected by ${decision.actor}`);

    enter(incident, 'remediate');
    if (plan.dryRun) return dryRun(incident, plan);
    const result = await silencedRemediation(incident, plan, decision.actor);
    if (result.kind === 'failed') return close(incident, 'failed', result.message);
    if (result.kind === 'done') {
      state.milestones.actionsDone = nowIso();
      return verifyRemediation(incident, plan, result.rollback);
    }
    await handBackToPeople(incident, result.reason);
  }
}

/** Silences the incident's alerts and remediates; the actions wait for the silence (see SILENCE_BESIDE_PATCH). */
async function silencedRemediation(
  incident: Incident,
  plan: Recommendation,
  approvedBy: string,
): Promise<RemediationResult> {
  if (!patched(SILENCE_BESIDE_PATCH)) {
    await silenceWhileFixing(incident, plan, approvedBy);
    return remediate(incident, plan);
  }
  const silenced = silenceWhileFixing(incident, plan, approvedBy);
  const [result] = await Promise.all([remediate(incident, plan, silenced), silenced]);
  return result;
}
