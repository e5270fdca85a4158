import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import { RecentDeliveries } from '../../src/incidents/recent-deliveries.js';
import { OPENING_MEMO, resolveUpdate } from '../../src/workflows/messages.js';
import type { incidentWorkflow } from '../../src/workflows/incident.js';
import { testActivities } from '../support/activities.js';
import { waitForState } from '../support/scenario.js';
import { groupIngest, testIngestConfig } from '../support/ingest.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'incident-run-chain';
const unique = Date.now().toString(36);
// A short history, so an incident continues as new after a few deliveries.
const config = testIngestConfig(TASK_QUEUE, 60);

let client: Client;
let worker: TestWorker;

/** While set, that incident's closing record waits for `release`: the run stays closing. */
let closingHold: { incidentId: string; entered: () => void; release: Promise<void> } | undefined;

beforeAll(async () => {
  client = await testClient();
  const activities = testActivities({ runbooks: {} });
  const record = activities.recordIncidentClosed.bind(activities);
  activities.recordIncidentClosed = async (closed) => {
    const hold = closingHold;
    // Other tests' incidents close in the background: only the one named is held.
    if (hold?.incidentId === closed.incidentId) {
      hold.entered();
      await hold.release;
    }
    return record(closed);
  };
  worker = await startTestWorker(activities, TASK_QUEUE);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
});

const { alertOf, deliver, handleOf } = groupIngest(() => client, config, 'QueueBacklog');
const holds =
  (...alerts: Alert[]) =>
  (s: { alerts: Alert[] }) =>
    alerts.every((alert) => s.alerts.some((a) => a.dedupeKey === alert.dedupeKey));

/** A process's memory, with the count of alerts it recognised as delivered before. */
function memory() {
  const seen = { recognised: 0 };
  return { recent: new RecentDeliveries((n) => (seen.recognised += n)), seen };
}

/** An incident opened by `first` through `recent`, then resolved by a person while `first` still fires. */
async function resolvedByHand(first: Alert, recent: RecentDeliveries): Promise<string> {
  const { incidentId } = await deliver([first], recent);
  await waitForState(handleOf(incidentId), holds(first));
  await handleOf(incidentId).executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
  await handleOf(incidentId).result();
  return incidentId;
}

/** The incident's run after `closedRun`, by its run ID: a query by incident ID alone may reach the old one. */
async function runAfter(incidentId: string, closedRun: string) {
  const current = async (): Promise<string> => (await handleOf(incidentId).describe()).runId;
  await expect.poll(current, { timeout: 10_000 }).not.toBe(closedRun);
  return client.workflow.getHandle<typeof incidentWorkflow>(incidentId, await current());
}

describe('what an API process remembers delivering, across runs of an incident', () => {
  it('when the incident continued as new between deliveries, then a repeat is still recognised and not sent again', async () => {
    const service = `chain-continued-${unique}`;
    const { recent, seen } = memory();
    const first = alertOf(service, 'first');
    const { incidentId } = await deliver([first], recent);
    const handle = handleOf(incidentId);
    const firstRun = (await handle.describe()).runId;

    // Other groups' new alerts, one delivery each, until the run has continued as new.
    const others: Alert[] = [];
    for (let i = 0; i < 80 && (await handle.describe()).runId === firstRun; i++) {
      const next = alertOf(service, `other-${i}`);
      others.push(next);
      await deliver([next], recent);
      await waitForState(handle, holds(next));
    }
    expect((await handle.describe()).runId).not.toBe(firstRun);
    const last = alertOf(service, 'last');
    await deliver([last], recent);

    // The first group's webhook again: the run it went to continued as this one, which carries it.
    expect(await deliver([first], recent)).toMatchObject({ incidentId, status: 'accepted' });
    expect(seen.recognised).toBe(1);
    const marker = alertOf(service, 'marker');
    await deliver([marker], recent);
    const state = await waitForState(handle, holds(marker));
    expect(state.timeline.some((t) => t.event === 'continued-as-new')).toBe(true);
    expect(state.duplicatesDropped).toBe(0);
    expect(state.alertsReceived).toBe(others.length + 3);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
  }, 120_000);

  it("when another sender's alert opened the incident again after a person resolved it, then a repeat of what this process delivered to the closed run reaches the new run", async () => {
    const service = `chain-reopened-${unique}`;
    const { recent, seen } = memory();
    const first = alertOf(service, 'first');
    const incidentId = await resolvedByHand(first, recent);
    const closedRun = (await handleOf(incidentId).describe()).runId;

    // Another API process (it remembers nothing) delivers another sender's alert: a new run opens.
    const other = alertOf(service, 'other');
    expect(await deliver([other])).toMatchObject({ incidentId, status: 'accepted' });
    expect((await handleOf(incidentId).describe()).runId).not.toBe(closedRun);

    expect(await deliver([first], recent)).toMatchObject({ incidentId, status: 'accepted' });
    expect(seen.recognised).toBe(1);
    const state = await waitForState(handleOf(incidentId), holds(first, other));
    expect(state.alerts.filter((a) => a.status === 'firing')).toHaveLength(2);

    // Remembered for the new run now: sent again, it is recognised and not sent.
    expect(await deliver([first], recent)).toMatchObject({ incidentId, status: 'accepted' });
    expect(seen.recognised).toBe(2);
    const marker = alertOf(service, 'marker');
    await deliver([marker], recent);
    expect((await waitForState(handleOf(incidentId), holds(marker))).duplicatesDropped).toBe(0);
    await handleOf(incidentId).executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
  }, 60_000);

  it('when an alert fired as the incident closed and opened it again, then a repeat of what the closed run had reaches the new opening', async () => {
    const service = `chain-fired-as-closed-${unique}`;
    const { recent, seen } = memory();
    const first = alertOf(service, 'first');
    const { incidentId } = await deliver([first], recent);
    const handle = handleOf(incidentId);
    await waitForState(handle, holds(first));
    const closedRun = (await handle.describe()).runId;

    // A person resolves it while \`first\` still fires; as it closes, \`late\` fires and opens it again.
    let release = (): void => undefined;
    const entered = new Promise<void>((entered) => {
      closingHold = { incidentId, entered, release: new Promise<void>((r) => (release = r)) };
    });
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    await entered;
    const late = alertOf(service, 'late');
    expect(await deliver([late], recent)).toMatchObject({ incidentId, status: 'accepted' });
    closingHold = undefined;
    release();
    // The closing run notes 'opened-again' too, just before it continues as new: ask the new run itself.
    const reopened = await waitForState(await runAfter(incidentId, closedRun), (s) =>
      s.timeline.some((t) => t.event === 'opened-again'),
    );
    expect(reopened.alerts.map((a) => a.labels['instance'])).toEqual(['late']);

    // Alertmanager sends the group again: the new opening never had \`first\`, though it is one chain.
    expect(await deliver([first, late], recent)).toMatchObject({ incidentId, status: 'accepted' });
    const state = await waitForState(handle, holds(first, late));
    expect(state.alerts.filter((a) => a.status === 'firing')).toHaveLength(2);

    // The new opening's rollovers carry its name on: there a repeat is recognised, and not sent again.
    const { runId: reopenedRun, memo } = await handle.describe();
    for (let i = 0; i < 80 && (await handle.describe()).runId === reopenedRun; i++) {
      const next = alertOf(service, `other-${i}`);
      await deliver([next], recent);
      await waitForState(handle, holds(next));
    }
    const rolled = await handle.describe();
    expect(rolled.runId).not.toBe(reopenedRun);
    expect(rolled.memo?.[OPENING_MEMO]).toBe(memo?.[OPENING_MEMO]);
    const recognised = seen.recognised;
    expect(await deliver([first], recent)).toMatchObject({ incidentId, status: 'accepted' });
    expect(seen.recognised).toBe(recognised + 1);
    const marker = alertOf(service, 'marker');
    await deliver([marker], recent);
    // Only `late`, sent again with `first` to the new opening, was ever a duplicate there.
    expect((await waitForState(handle, holds(marker))).duplicatesDropped).toBe(state.duplicatesDropped);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
  }, 60_000);

  it('when a webhook holds both a new alert and one delivered to a run that closed since, then the new run gets both', async () => {
    const service = `chain-held-${unique}`;
    const { recent } = memory();
    const first = alertOf(service, 'first');
    const incidentId = await resolvedByHand(first, recent);
    const other = alertOf(service, 'other');
    await deliver([other]);

    // The new alert joins the new run; the remembered one must not be left behind.
    const added = alertOf(service, 'added');
    expect(await deliver([first, added], recent)).toMatchObject({ incidentId, status: 'accepted' });
    const state = await waitForState(handleOf(incidentId), holds(first, other, added));
    expect(state.alerts.map((a) => a.labels['instance']).sort()).toEqual(['added', 'first', 'other']);
    await handleOf(incidentId).executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
  }, 60_000);
});
