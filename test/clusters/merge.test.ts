import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertsSignal,
  mergeUpdate,
  REFUSAL,
  resolveUpdate,
  stateQuery,
} from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { makeAlert, recordHistory, resolvedAlert, startIncident, waitForState } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'incident-merge';
const uniqueId = (name: string): string => `${name}-${Date.now().toString(36)}`;
// Both incidents are merged while they still gather alerts, so the scenario never reaches triage.
const GATHERING = { debounceMs: 15_000 };

let client: Client;
let worker: TestWorker;

beforeAll(async () => {
  client = await testClient();
  worker = await startTestWorker(testActivities({ runbooks: {} }), TASK_QUEUE);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
});

/** The refusal's type, from a merge the workflow's validator or handler refused. */
async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

describe('merging one incident into another', () => {
  it('sends its alerts to the target, records both sides, and closes; a second merge or one into itself is refused', async () => {
    const targetId = uniqueId('merge-target');
    const absorbedId = uniqueId('merge-absorbed');
    const first = makeAlert({ alertName: 'HighLatency', labels: { service: 'checkout', instance: 'a' } });
    const second = makeAlert({ alertName: 'LatencyP99High', labels: { service: 'checkout', instance: 'b' } });
    const target = await startIncident(client, TASK_QUEUE, targetId, [first], GATHERING);
    const absorbed = await startIncident(client, TASK_QUEUE, absorbedId, [second], GATHERING);
    await waitForState(absorbed, (s) => s.alerts.length === 1);

    const self = { into: absorbedId, actor: 'alice', via: 'api' };
    expect(await refusal(absorbed.executeUpdate(mergeUpdate, { args: [self] }))).toBe(REFUSAL.invalid);

    const result = await absorbed.executeUpdate(mergeUpdate, {
      args: [{ into: targetId, actor: 'alice', via: 'api', reason: 'one latency problem' }],
    });
    expect(result).toMatchObject({ incidentId: absorbedId, into: targetId, alertsSent: 1 });
    const again = { into: targetId, actor: 'bob', via: 'api' };
    expect(await refusal(absorbed.executeUpdate(mergeUpdate, { args: [again] }))).toBe(REFUSAL.merge);

    const closed = await absorbed.result();
    expect(closed).toMatchObject({ outcome: 'resolved', mergedInto: targetId, stage: 'closed' });
    expect(closed.timeline.find((t) => t.event === 'merged-into')?.message).toBe(
      `alice merged this incident into ${targetId} via api; its 1 alerts were sent there: one latency problem`,
    );
    const held = await waitForState(target, (s) => (s.absorbed ?? []).includes(absorbedId));
    expect(held.alerts.map((a) => a.fingerprint).sort()).toEqual(
      [first.fingerprint, second.fingerprint].sort(),
    );
    expect(held.timeline.find((t) => t.event === 'absorbed')?.message).toBe(
      `absorbed incident ${absorbedId} (merged by alice); its 1 alerts are held here now`,
    );

    // The absorbed alert resolving at the target counts there like its own.
    await target.signal(alertsSignal, [resolvedAlert(second)]);
    await target.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect((await target.result()).outcome).toBe('resolved');
    await recordHistory(client, absorbedId, 'incident-merged-absorbed');
    await recordHistory(client, targetId, 'incident-merged-target');
  }, 90_000);

  it('into an incident that does not exist: refused, noted, and the incident stays open', async () => {
    const id = uniqueId('merge-nowhere');
    const handle = await startIncident(
      client,
      TASK_QUEUE,
      id,
      [makeAlert({ alertName: 'Lonely', labels: { service: 'x' } })],
      GATHERING,
    );
    await waitForState(handle, (s) => s.alerts.length === 1);
    const nowhere = { into: `${id}-nowhere`, actor: 'alice', via: 'api' };
    expect(await refusal(handle.executeUpdate(mergeUpdate, { args: [nowhere] }))).toBe(REFUSAL.closed);
    const state = await handle.query(stateQuery);
    expect(state.mergedInto).toBeUndefined();
    expect(state.timeline.at(-1)).toMatchObject({ event: 'merge-failed', actor: 'alice' });
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect((await handle.result()).outcome).toBe('resolved');
  }, 60_000);
});
