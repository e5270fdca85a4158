import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Alert } from '../../../src/domain/alert.js';
import type { IncidentState } from '../../../src/domain/incident.js';
import type { incidentWorkflow } from '../../../src/workflows/incident.js';
import { makeAlert, startIncident } from '../../support/scenario.js';

export type Handle = WorkflowHandle<typeof incidentWorkflow>;

/** An incident started as the webhook starts one, with the alert that was sent for it. */
export interface SentIncident {
  id: string;
  alert: Alert;
  handle: Handle;
}

export async function sendIncident(
  client: Client,
  taskQueue: string,
  id: string,
  alertName: string,
  labels: Record<string, string> = {},
): Promise<SentIncident> {
  const alert = makeAlert({ alertName, labels: { incident: id, service: id, ...labels } });
  return { id, alert, handle: await startIncident(client, taskQueue, id, [alert]) };
}

/**
 * Waits until the incident's action (applyAction) runs on a worker and returns that worker's
 * identity (the SDK's default is `<pid>@<host>`), so a test can kill or pause the process that runs it.
 */
export async function workerRunningAction(handle: Handle, timeoutMs = 60_000): Promise<string> {
  const started = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { raw } = await handle.describe();
    const running = (raw.pendingActivities ?? []).find(
      (a) => a.activityType?.name === 'applyAction' && a.state === started,
    );
    if (running?.lastWorkerIdentity) return running.lastWorkerIdentity;
    if (Date.now() > deadline)
      throw new Error(`no action of ${handle.workflowId} ran in ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** How many times the workflow scheduled an activity of this type (e.g. checkCondition: verification polls). */
export async function scheduledCount(handle: Handle, activityType: string): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType,
  ).length;
}

/** The incident's end, whether the alert that was sent is among the alerts it holds, and when it ended. */
export async function outcomeOf(
  sent: SentIncident,
): Promise<{ outcome: string; alertKept: boolean; at: number }> {
  const state: IncidentState = await sent.handle.result();
  return {
    outcome: state.outcome ?? `open (${state.stage})`,
    alertKept: state.alerts.some((a) => a.fingerprint === sent.alert.fingerprint),
    at: Date.now(),
  };
}
