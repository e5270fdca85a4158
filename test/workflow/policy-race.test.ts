/**
 * The final policy approves a low-risk plan nobody answered, after reading the change calendar; a person
 * approving while that read is under way is the only decision recorded.
 */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveUpdate } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { makeAlert, startIncident, waitForState } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'policy-race';
const RUNBOOK = `
title: Wait it out
match: { alertnames: [PolicyRace] }
risk: low
approvers: [alice]
approval: { timeout: 1s, finalPolicy: auto-approve }
steps:
  - action: wait
    duration: 1s
verify: { within: 20s }
`;

let client: Client;
let worker: TestWorker;
let calendarReads = 0;

beforeAll(async () => {
  client = await testClient();
  const activities = testActivities({ runbooks: { 'race.yaml': RUNBOOK } });
  worker = await startTestWorker(
    {
      ...activities,
      // The read after the approval's timeout is slow: the window in which a person answers.
      checkCalendar: async (...args: Parameters<typeof activities.checkCalendar>) => {
        if (++calendarReads > 1) await new Promise((r) => setTimeout(r, 3000));
        return activities.checkCalendar(...args);
      },
    },
    TASK_QUEUE,
  );
}, 60_000);

afterAll(async () => {
  await worker?.stop();
});

describe('the final policy and a person at once', () => {
  it("when a person approves while the policy reads the calendar, then the person's approval is the only one", async () => {
    const id = `policy-race-${Date.now().toString(36)}`;
    const handle = await startIncident(client, TASK_QUEUE, id, [
      makeAlert({ alertName: 'PolicyRace', labels: { service: 'race' } }),
    ]);
    await waitForState(handle, (s) => s.stage === 'approve');
    await waitForState(handle, () => calendarReads > 1, 15_000);
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    const state = await waitForState(handle, (s) => s.stage !== 'approve', 15_000);
    expect(state.approvals.map((a) => a.actor)).toEqual(['alice']);
    await handle.terminate('test done');
  }, 60_000);
});
