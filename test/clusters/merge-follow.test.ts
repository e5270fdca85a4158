import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import { RecentDeliveries } from '../../src/incidents/recent-deliveries.js';
import {
  INCIDENT_WORKFLOW_TYPE,
  MERGED_INTO_MEMO,
  mergeUpdate,
  resolveUpdate,
} from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { recordHistory, resolvedAlert, waitForState } from '../support/scenario.js';
import { groupIngest, testIngestConfig } from '../support/ingest.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'incident-merge-follow';
const unique = Date.now().toString(36);
const config = testIngestConfig(TASK_QUEUE);

let client: Client;
let worker: TestWorker;
// Detection of the merged incident waits here, so it is merged while it still runs.
const HELD_SERVICE = `follow-held-${unique}`;
let heldEntered: () => void = () => undefined;
const entered = new Promise<void>((resolve) => (heldEntered = resolve));
let release: () => void = () => undefined;
const released = new Promise<void>((resolve) => (release = resolve));

beforeAll(async () => {
  client = await testClient();
  const activities = testActivities({ runbooks: {} });
  const detectAndForecast: typeof activities.detectAndForecast = async (input) => {
    if (input.alert?.labels['service'] === HELD_SERVICE) {
      heldEntered();
      await released;
    }
    return activities.detectAndForecast(input);
  };
  worker = await startTestWorker({ ...activities, detectAndForecast }, TASK_QUEUE);
}, 120_000);

afterAll(async () => {
  release();
  await worker?.stop();
});

const { alertOf, deliver, handleOf } = groupIngest(() => client, config, 'HighLatency');
const holds = (alert: Alert) => (s: { alerts: Alert[] }) =>
  s.alerts.some((a) => a.dedupeKey === alert.dedupeKey && a.status === alert.status);

describe('alerts that come after a merge', () => {
  it('reach the target: forwarded by the merged incident while it runs, sent on by ingestion once it closed, until the target closes', async () => {
    const targetAlert = alertOf(`follow-target-${unique}`, 'a');
    const target = await deliver([targetAlert]);
    const y1 = alertOf(HELD_SERVICE, '1');
    const merged = await deliver([y1]);
    expect(merged).toMatchObject({ status: 'accepted' });
    expect(merged.mergedFrom).toBeUndefined();
    await entered;
    const mergedHandle = handleOf(merged.incidentId);
    const targetHandle = handleOf(target.incidentId);
    await mergedHandle.executeUpdate(mergeUpdate, {
      args: [{ into: target.incidentId, actor: 'alice', via: 'api', reason: 'one latency problem' }],
    });

    // Still running (its detection is held): it takes the alert and forwards it at once.
    const y2 = alertOf(HELD_SERVICE, '2');
    expect(await deliver([y2])).toMatchObject({ incidentId: merged.incidentId, status: 'accepted' });
    await waitForState(targetHandle, holds(y2));

    release();
    const closed = await mergedHandle.result();
    expect(closed).toMatchObject({ outcome: 'resolved', mergedInto: target.incidentId });
    expect(closed.timeline.find((t) => t.event === 'alerts-forwarded')?.message).toBe(
      `1 alerts that arrived after the merge were sent to ${target.incidentId}`,
    );
    const description = await mergedHandle.describe();
    expect(description.memo?.[MERGED_INTO_MEMO]).toBe(target.incidentId);
    await recordHistory(client, merged.incidentId, 'incident-merged-forwarding');

    // Closed: ingestion sends its group's alerts to the target, firing and resolved, and opens nothing.
    const y3 = alertOf(HELD_SERVICE, '3');
    let recognised = 0;
    const recent = new RecentDeliveries((n) => (recognised += n));
    const followed = { incidentId: target.incidentId, mergedFrom: merged.incidentId, status: 'accepted' };
    expect(await deliver([y3], recent)).toMatchObject(followed);
    // Sent again at once, it is recognised and not sent, and the answer names where it went.
    expect(await deliver([y3], recent)).toMatchObject(followed);
    expect(recognised).toBe(1);
    await waitForState(targetHandle, holds(y3));
    expect((await mergedHandle.describe()).runId).toBe(description.runId);

    // Every alert resolving, its own and those it absorbed, closes the target without a person.
    const resolvedOnes = [y1, y2, y3].map(resolvedAlert);
    expect(await deliver(resolvedOnes)).toMatchObject({
      incidentId: target.incidentId,
      status: 'accepted',
    });
    await deliver([resolvedAlert(targetAlert)]);
    const targetClosed = await targetHandle.result();
    // With no runbook, an incident whose alerts all resolved closes as no-runbook, with nobody resolving it.
    expect(targetClosed).toMatchObject({ stage: 'closed', outcome: 'no-runbook' });
    expect(targetClosed.approvals).toEqual([]);
    expect(targetClosed.alerts.map((a) => a.status)).toEqual([
      'resolved',
      'resolved',
      'resolved',
      'resolved',
    ]);

    // The target closed: a new alert of the merged group opens that group's incident again.
    const y4 = alertOf(HELD_SERVICE, '4');
    const reopened = await deliver([y4]);
    expect(reopened).toMatchObject({ incidentId: merged.incidentId, status: 'accepted' });
    expect(reopened.mergedFrom).toBeUndefined();
    const again = await mergedHandle.describe();
    expect(again.runId).not.toBe(description.runId);
    expect(again.status.name).toBe('RUNNING');
    await mergedHandle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    await mergedHandle.result();
  }, 120_000);

  it('follows a bounded number of merges: a memo that points in a circle opens the incident again', async () => {
    const alert = alertOf(`follow-circle-${unique}`, 'a');
    const { incidentId } = await deliver([resolvedAlert(alert)]);
    const other = `${incidentId}-other`;
    // Hand-made closed runs (no worker on this queue) whose memos name each other.
    for (const [id, into] of [
      [incidentId, other],
      [other, incidentId],
    ] as const) {
      const handle = await client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
        workflowId: id,
        taskQueue: `${TASK_QUEUE}-nobody`,
        args: [{}],
        memo: { [MERGED_INTO_MEMO]: into },
      });
      await handle.terminate('a closed run for the test');
    }
    const result = await deliver([alert]);
    expect(result).toMatchObject({ incidentId, status: 'accepted' });
    expect(result.mergedFrom).toBeUndefined();
    const reopened = await handleOf(incidentId).describe();
    expect(reopened.status.name).toBe('RUNNING');
    expect(reopened.taskQueue).toBe(TASK_QUEUE);
    await handleOf(incidentId).executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
  }, 60_000);

  it('never sends alerts to a workflow that is not an incident, whatever a memo names', async () => {
    const alert = alertOf(`follow-foreign-${unique}`, 'a');
    const { incidentId } = await deliver([resolvedAlert(alert)]);
    const foreign = await client.workflow.start('notAnIncident', {
      workflowId: `${incidentId}-foreign`,
      taskQueue: `${TASK_QUEUE}-nobody`,
      args: [],
    });
    const closed = await client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
      workflowId: incidentId,
      taskQueue: `${TASK_QUEUE}-nobody`,
      args: [{}],
      memo: { [MERGED_INTO_MEMO]: foreign.workflowId },
    });
    await closed.terminate('a closed run for the test');

    const result = await deliver([alert]);
    expect(result).toMatchObject({ incidentId, status: 'accepted' });
    expect(result.mergedFrom).toBeUndefined();
    const events = (await foreign.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowExecutionSignaledEventAttributes)).toEqual([]);
    await foreign.terminate('done');
    await handleOf(incidentId).executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
  }, 60_000);
});
