import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/reports/index.js';
import { resolveUpdate } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { incidentState } from '../support/incident.js';
import { makeAlert, startIncident, waitForState } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'close-record';

let client: Client;
let worker: TestWorker;
let calls = 0;

beforeAll(async () => {
  client = await testClient();
  worker = await startTestWorker(
    {
      ...testActivities({ runbooks: {} }),
      // The record of the close fails for good: a disk gone, a report that cannot be built.
      recordIncidentClosed: async () => {
        calls++;
        throw ApplicationFailure.nonRetryable('the reports disk is gone', 'ReportFailed');
      },
    },
    TASK_QUEUE,
  );
}, 60_000);

afterAll(async () => {
  await worker?.stop();
});

describe('the record written as an incident closes', () => {
  it('when it cannot be written at all, then the incident still closes as decided, and its timeline says what was not written', async () => {
    const id = `close-record-${Date.now().toString(36)}`;
    const handle = await startIncident(client, TASK_QUEUE, id, [
      makeAlert({ alertName: 'NoRunbookForThis', labels: { service: 'close-record' } }),
    ]);
    await waitForState(handle, (s) => s.stage !== 'collect' && s.stage !== 'detect');

    await handle.executeUpdate(resolveUpdate, {
      args: [{ actor: 'alice', via: 'api', reason: 'fixed by hand' }],
    });
    const final = await handle.result();

    expect(calls).toBe(1);
    expect(final.outcome).toBe('resolved');
    expect(final.timeline.find((t) => t.event === 'record-failed')?.message).toBe(
      'the closing record could not be written: the reports disk is gone',
    );
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it("when the workflow's history cannot be read, then the report is written without it and says why", async () => {
    const state = incidentState({ incidentId: `never-ran-${Date.now().toString(36)}`, stage: 'closed' });

    const html = await buildReport({
      state,
      temporal: client,
      workflowUrl: 'http://ui',
      historyWithinMs: 5000,
    });

    expect(html).toMatch(/The workflow history was not available when this report was made: [^<]*not found/i);
    // Asked without a time budget (the API's report), Temporal's error is passed on.
    await expect(buildReport({ state, temporal: client, workflowUrl: 'http://ui' })).rejects.toThrow(
      /not found/i,
    );
  });
});
