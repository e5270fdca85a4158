import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentActivities } from '../../src/activities/index.js';
import type { incidentWorkflow } from '../../src/workflows/incident.js';
import { alertsSignal, OPENING_MEMO, stateQuery } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { makeAlert, recordHistory, resolvedAlert, startIncident, waitForState } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'incident-closing';

let client: Client;
let worker: TestWorker;
/** While set, recordIncidentClosed waits for `release` before it writes: the incident stays closing. */
let hold: { entered: () => void; release: Promise<void> } | undefined;

beforeAll(async () => {
  // No runbook matches: the incident waits for people, and closes once its alerts resolve.
  const activities: IncidentActivities = testActivities({ runbooks: {} });
  const record = activities.recordIncidentClosed.bind(activities);
  activities.recordIncidentClosed = async (closed) => {
    if (hold) {
      hold.entered();
      await hold.release;
    }
    return record(closed);
  };
  client = await testClient();
  worker = await startTestWorker(activities, TASK_QUEUE);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
});

/** Holds the next close at its report until the returned release is called; `entered` says it got there. */
function holdNextClose(): { entered: Promise<void>; release: () => void } {
  let release = (): void => undefined;
  let entered = (): void => undefined;
  const reached = new Promise<void>((r) => (entered = r));
  hold = { entered, release: new Promise<void>((r) => (release = r)) };
  return {
    entered: reached,
    release: () => {
      hold = undefined;
      release();
    },
  };
}

describe('an incident that is closing', () => {
  it('when an alert fires after the incident decided to close, then it opens the incident again instead of being lost', async () => {
    const id = `closing-late-${Date.now().toString(36)}`;
    const a = makeAlert({ alertName: 'TestClosingLate', labels: { job: 'late', instance: 'a' } });
    const b = makeAlert({ alertName: 'TestClosingLate', labels: { job: 'late', instance: 'b' } });
    const handle = await startIncident(client, TASK_QUEUE, id, [a]);
    await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'recommended'));
    const firstRun = (await handle.describe()).runId;

    const closing = holdNextClose();
    await handle.signal(alertsSignal, [resolvedAlert(a)]);
    await closing.entered;
    // The run has decided: its outcome is set, and it is writing its report. Now b fires.
    await handle.signal(alertsSignal, [b]);
    closing.release();

    const before = client.workflow.getHandle(id, firstRun, { followRuns: false });
    const closed = await before.query(stateQuery);
    expect(closed.outcome).toBe('no-runbook');
    await expect.poll(async () => (await before.describe()).status.name).toBe('CONTINUED_AS_NEW');
    expect((await before.query(stateQuery)).timeline.at(-1)).toMatchObject({
      event: 'opened-again',
      message: '1 alert fired as the incident closed: it opens again, as a new run',
    });

    // The next run is a new incident holding b, and only b: a resolved in the run before.
    const again = client.workflow.getHandle<typeof incidentWorkflow>(id);
    const reopened = await waitForState(again, (s) => s.timeline.some((t) => t.event === 'recommended'));
    expect((await again.describe()).status.name).toBe('RUNNING');
    expect(reopened.outcome).toBeUndefined();
    expect(reopened.alerts.map((x) => x.dedupeKey)).toEqual([b.dedupeKey]);
    expect(reopened.timeline.map((t) => t.event).slice(0, 3)).toEqual([
      'opened',
      'opened-again',
      'alert-firing',
    ]);
    const described = await again.describe();
    expect(described.typedSearchAttributes.getAll().map((p) => p.key.name)).not.toContain('IncidentOutcome');
    // The new opening is named, so ingestion does not take it for a rollover of the run that closed.
    expect(described.memo?.[OPENING_MEMO]).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));

    await again.signal(alertsSignal, [resolvedAlert(b)]);
    const done = await again.result();
    expect(done.outcome).toBe('no-runbook');
    await recordHistory(client, id, 'fired-as-closed-opens-again', firstRun);
    // The same with the opening named in the memo (OPENING_MEMO_PATCH).
    await recordHistory(client, id, 'fired-as-closed-names-opening', firstRun);
  });

  it('when an incident opened again rolls over, then the next run does not take the late alerts again', async () => {
    const id = `closing-rolled-${Date.now().toString(36)}`;
    const a = makeAlert({ alertName: 'TestClosingRolled', labels: { job: 'rolled', instance: 'a' } });
    const b = makeAlert({ alertName: 'TestClosingRolled', labels: { job: 'rolled', instance: 'b' } });
    // Opened again by a and b, as openAgainIfFiredAsClosed continues a run; then a resolves.
    const handle = await startIncident(client, TASK_QUEUE, id, [], {
      firedAsClosed: [a, b],
      maxHistoryEvents: 100,
    });
    await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'recommended'));
    await handle.signal(alertsSignal, [resolvedAlert(a)]);
    await waitForState(
      handle,
      (s) => s.alerts.find((x) => x.dedupeKey === a.dedupeKey)?.status === 'resolved',
    );
    const firstRun = (await handle.describe()).runId;

    // Re-sent duplicates grow the history past its bound: the run rolls over, carrying its state.
    for (let i = 0; i < 40; i++) await handle.signal(alertsSignal, [b]);
    const next = client.workflow.getHandle<typeof incidentWorkflow>(id);
    await expect.poll(async () => (await next.describe()).runId, { timeout: 20_000 }).not.toBe(firstRun);
    const rolled = await waitForState(next, (s) => s.timeline.some((t) => t.event === 'continued-as-new'));
    expect(rolled.timeline.filter((t) => t.event === 'opened-again')).toHaveLength(1);
    expect(rolled.alerts.find((x) => x.dedupeKey === a.dedupeKey)?.status).toBe('resolved');

    // b resolves, the last one firing: the incident settles.
    await next.signal(alertsSignal, [resolvedAlert(b)]);
    expect((await next.result()).outcome).toBe('no-runbook');
    await recordHistory(client, id, 'reopened-rolls-over-once');
  });

  it('when an alert that was already firing resolves while the incident closes, then the run simply ends', async () => {
    const id = `closing-quiet-${Date.now().toString(36)}`;
    const a = makeAlert({ alertName: 'TestClosingQuiet', labels: { job: 'quiet', instance: 'a' } });
    const handle = await startIncident(client, TASK_QUEUE, id, [a]);
    await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'recommended'));

    const closing = holdNextClose();
    await handle.signal(alertsSignal, [resolvedAlert(a)]);
    await closing.entered;
    // Re-sent while closing: a duplicate of what the run already had, nothing new fires.
    await handle.signal(alertsSignal, [resolvedAlert(a), a]);
    closing.release();

    const done = await handle.result();
    expect(done.outcome).toBe('no-runbook');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(done.timeline.map((t) => t.event)).not.toContain('opened-again');
  });
});
