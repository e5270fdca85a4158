/**
 * Alerts of two senders in one incident: the plan reads the first alert, which another sender may have
 * sent to choose its target, so no policy approves it; a person does, on a real Temporal server.
 */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import { dedupeKeyOf } from '../../src/domain/dedupe-key.js';
import { approveUpdate } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { makeAlert, recordHistory, startIncident, waitForState } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'mixed-senders';
const RUNBOOK = `
title: Wait it out
match: { alertnames: [MixedSenders] }
risk: low
approvers: [alice]
approval: { timeout: 1s, finalPolicy: auto-approve }
steps:
  - action: wait
    duration: 1s
verify: { within: 2s }
`;

let client: Client;
let worker: TestWorker;

beforeAll(async () => {
  client = await testClient();
  worker = await startTestWorker(testActivities({ runbooks: { 'mixed.yaml': RUNBOOK } }), TASK_QUEUE);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
});

/** The alert as the API makes it for a sender. */
function from(sender: string, instance: string): Alert {
  const alert = makeAlert({ alertName: 'MixedSenders', labels: { service: 'mixed', instance } });
  return { ...alert, sender, dedupeKey: dedupeKeyOf(sender, alert.dedupeKey) };
}

describe('an incident with alerts of several senders', () => {
  it('when the final policy would approve its plan, then it waits for a person instead, and says why', async () => {
    const id = `mixed-${Date.now().toString(36)}`;
    const handle = await startIncident(client, TASK_QUEUE, id, [
      from('stranger', 'decoy'),
      from('alertmanager', 'real'),
    ]);
    const withheld = await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'policy-withheld'));
    expect(withheld.stage).toBe('approve');
    expect(withheld.timeline.find((t) => t.event === 'policy-withheld')?.message).toMatch(
      /alerts from 2 senders \(stranger, alertmanager\)/,
    );
    // Well past the 1 s timeout, nobody but a person approves.
    await new Promise((r) => setTimeout(r, 3000));
    const still = await waitForState(handle, () => true);
    expect(still.stage).toBe('approve');
    expect(still.approvals).toEqual([]);

    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    const acting = await waitForState(handle, (s) => s.stage !== 'approve');
    expect(acting.approvals.map((a) => a.actor)).toEqual(['alice']);
    await handle.result();
    await recordHistory(client, id, 'policy-withheld-mixed-senders');
  }, 60_000);

  it("when one sender floods the incident until the other's alert is no longer held, then still no policy approves", async () => {
    const id = `flooded-${Date.now().toString(36)}`;
    const flood = Array.from({ length: 49 }, (_, i) => from('stranger', `flood-${i}`));
    const handle = await startIncident(client, TASK_QUEUE, id, [
      from('stranger', 'decoy'),
      from('alertmanager', 'real'),
      ...flood,
    ]);
    const withheld = await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'policy-withheld'));
    expect(withheld.alerts.some((a) => a.sender === 'alertmanager')).toBe(false);
    expect(withheld.sendersSeen).toEqual(['stranger', 'alertmanager']);
    await new Promise((r) => setTimeout(r, 3000));
    const still = await waitForState(handle, () => true);
    expect(still.stage).toBe('approve');
    expect(still.approvals).toEqual([]);
    await handle.terminate('test done');
  }, 60_000);

  it('when all its alerts come from one sender, then the final policy approves as before', async () => {
    const id = `single-${Date.now().toString(36)}`;
    const handle = await startIncident(client, TASK_QUEUE, id, [
      from('alertmanager', 'a'),
      from('alertmanager', 'b'),
    ]);
    const approved = await waitForState(handle, (s) => s.approvals.length > 0, 20_000);
    expect(approved.approvals.map((a) => a.actor)).toEqual(['policy:auto-approve']);
    await handle.terminate('test done');
  }, 60_000);
});
