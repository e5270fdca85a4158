import { condition, proxyActivities, sleep } from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import type { IncidentState, Recommendation } from '../../domain/incident.js';
import { allResolved } from '../alerts.js';
import { TRIAGE } from './activities.js';
import { enter, note, nowIso, tell, type Incident } from './context.js';
import { close } from './lifecycle.js';
import type { Rollback } from './saga.js';

const triage = proxyActivities<Pick<IncidentActivities, 'checkCondition'>>(TRIAGE);

/** 7. verify that the remediation fixed the incident, and close it; a failed check rolls it back. */
export async function verifyRemediation(
  incident: Incident,
  plan: Recommendation,
  rollback: Rollback,
): Promise<IncidentState> {
  const { state } = incident;
  enter(incident, 'verify');
  const verified = await verify(plan, state);
  state.verification = {
    status: verified.holds ? 'passed' : 'failed',
    message: verified.message,
    at: nowIso(),
  };
  note(incident, verified.holds ? 'verified' : 'verification-failed', verified.message);
  await tell(incident, `${verified.holds ? 'Verified' : 'Verification failed'}: ${verified.message}`);
  if (!verified.holds) {
    await rollback('verification failed');
    return close(incident, 'failed', `verification failed: ${verified.message}`);
  }
  state.milestones.verified = nowIso();
  return close(incident, 'verified', `remediation verified: ${verified.message}`);
}

/** The plan's check holds within its time: its PromQL query, or else every alert resolved. */
async function verify(
  plan: Recommendation,
  state: IncidentState,
): Promise<{ holds: boolean; message: string }> {
  const { promql, withinMs, intervalMs } = plan.verification;
  const deadline = Date.now() + withinMs;
  if (!promql) {
    const ok = await condition(() => allResolved(state), withinMs);
    return ok
      ? { holds: true, message: 'all alerts resolved' }
      : { holds: false, message: `alerts still firing after ${Math.round(withinMs / 1000)}s` };
  }
  let last = 'not checked';
  // No answer is no evidence that the fix failed: once Prometheus could not answer a check, the window
  // is extended once by its own length, and past the first window the first answer decides. Checks
  // that all were answered run as they always did (recorded histories replay unchanged).
  let end = deadline;
  while (Date.now() < end) {
    // The runbook's own server first: the alert's generatorURL named detection's.
    const prometheusUrl = plan.verification.prometheusUrl ?? state.detection?.prometheusUrl;
    const check = await triage.checkCondition({ promql, ...(prometheusUrl ? { prometheusUrl } : {}) });
    if (check.holds) return { holds: true, message: check.message };
    last = check.message;
    if (end !== deadline && !check.unanswered && Date.now() >= deadline) break;
    if (check.unanswered && end === deadline) end = deadline + withinMs;
    await sleep(Math.min(intervalMs, Math.max(end - Date.now(), 1)));
  }
  const waited = Math.round((end - deadline + withinMs) / 1000);
  const extended = end === deadline ? '' : ', extended once because Prometheus could not answer';
  return { holds: false, message: `${promql} did not hold within ${waited}s${extended} (${last})` };
}
