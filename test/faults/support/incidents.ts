import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Alert } from '../../../src/domain/alert.js';
import type { IncidentState } from '../../../src/domain/incident.js';
import type { incidentWorkflow } from '../../../src/workflows/incident.js';
import { alertPayload } from '../../support/api-harness.js';
import { makeAlert, startIncident } from '../../support/scenario.js';

export type Handle = WorkflowHandle<typeof incidentWorkflow>;

/** An incident, with the fingerprint of the alert that was sent for it. */
export interface SentIncident {
  id: string;
  fingerprint: string;
  handle: Handle;
}

export async function sendIncident(
  client: Client,
  taskQueue: string,
  id: string,
  alertName: string,
  labels: Record<string, string> = {},
): Promise<SentIncident> {
  const alert: Alert = makeAlert({ alertName, labels: { incident: id, service: id, ...labels } });
  return { id, fingerprint: alert.fingerprint, handle: await startIncident(client, taskQueue, id, [alert]) };
}

/**
 * Posts one alert to the API's Alertmanager webhook and, as Alertmanager does, posts it again after
 * any answer but 202 (or no answer) until `timeoutMs`. Returns the incident and how many posts it took.
 */
export async function postAlert(
  api: { url: string; token: string; client: Client },
  id: string,
  alertName: string,
  labels: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<SentIncident & { posts: number }> {
  const body = alertPayload({
    alertname: alertName,
    labels: { incident: id, service: id, ...labels },
    summary: id,
  });
  const fingerprint = body.alerts[0]?.fingerprint ?? '';
  const deadline = Date.now() + timeoutMs;
  for (let posts = 1; ; posts++) {
    const response = await fetch(`${api.url}/api/v1/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).catch(() => undefined);
    if (response?.status === 202) {
      const { incidents } = (await response.json()) as { incidents: { incidentId: string }[] };
      const incidentId = incidents[0]?.incidentId ?? '';
      return {
        id,
        fingerprint,
        handle: api.client.workflow.getHandle<typeof incidentWorkflow>(incidentId),
        posts,
      };
    }
    await response?.body?.cancel();
    if (Date.now() > deadline) throw new Error(`the API refused the alert for ${id} ${posts} times`);
    await new Promise((r) => setTimeout(r, 500));
  }
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

/**
 * The start of each activity of this type, as history records it: once, with its last attempt (and the
 * failure of the attempt before it, if it was retried).
 */
async function startsOf(handle: Handle, activityType: string) {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .map((e) => String(e.eventId)),
  );
  return events
    .map((e) => e.activityTaskStartedEventAttributes)
    .filter((a): a is NonNullable<typeof a> => !!a && scheduled.has(String(a.scheduledEventId)));
}

/**
 * The most attempts any one activity of this type took (2 or more: it was retried, for instance after
 * its worker died).
 */
export async function mostAttempts(handle: Handle, activityType: string): Promise<number> {
  const attempts = (await startsOf(handle, activityType)).map((a) => a.attempt ?? 1);
  return Math.max(0, ...attempts);
}

/**
 * Why each retried attempt of an activity of this type was needed: the previous attempt's failure (its
 * application failure's type, or `timeout`).
 */
export async function retriedAfter(handle: Handle, activityType: string): Promise<string[]> {
  return (await startsOf(handle, activityType))
    .map((a) => a.lastFailure)
    .filter((failure): failure is NonNullable<typeof failure> => !!failure)
    .map(
      (failure) => failure.applicationFailureInfo?.type ?? (failure.timeoutFailureInfo ? 'timeout' : 'other'),
    );
}

/** The incident's end, whether the alert that was sent is among the alerts it holds, and when it ended. */
export async function outcomeOf(
  sent: SentIncident,
): Promise<{ outcome: string; alertKept: boolean; at: number }> {
  const state: IncidentState = await sent.handle.result();
  return {
    outcome: state.outcome ?? `open (${state.stage})`,
    alertKept: state.alerts.some((a) => a.fingerprint === sent.fingerprint),
    at: Date.now(),
  };
}

/** Waits until the incident exists (an alert on its way through Alertmanager opens it). */
export async function opened(handle: Handle, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await handle.describe().then(
      () => true,
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      },
    );
    if (found) return;
    if (Date.now() > deadline) throw new Error(`${handle.workflowId} was not opened in ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
