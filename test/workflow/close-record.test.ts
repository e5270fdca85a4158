import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { buildReport } from '../../src/reports/index.js';
import { createClient } from '../../src/temporal/connection.js';
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

  it("when a page of the run's history passes gRPC's default 4 MiB, then the product's client still reads it for the report", async () => {
    // Six signals of a megabyte each, on a queue no worker polls: one page of about 6 MiB, as a run that
    // took a few large webhooks between two continues-as-new holds.
    const id = `close-record-wide-${Date.now().toString(36)}`;
    const handle = await client.workflow.start('nobodyRunsThis', {
      taskQueue: `${TASK_QUEUE}-idle`,
      workflowId: id,
    });
    const megabyte = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 6; i++) await handle.signal('bulk', `${i}${megabyte}`);
    const product = await createClient(
      loadSettings({ TEMPORAL_ADDRESS: inject('temporalAddress') }).temporal,
    );
    try {
      // The case is real: the first page alone is past what gRPC's default lets a client receive.
      const page = await product.workflowService.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId: id },
      });
      const pageBytes =
        temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode(page).finish().length;
      expect(pageBytes).toBeGreaterThan(4 * 1024 * 1024);
      const html = await buildReport({
        state: incidentState({ incidentId: id, stage: 'closed' }),
        temporal: product,
        runId: handle.firstExecutionRunId,
        workflowUrl: 'http://ui',
        historyWithinMs: 30_000,
      });
      expect(html).not.toContain('was not available');
      expect(html).toMatch(/Run [^:]+: \d+ events up to the incident/);
    } finally {
      await product.connection.close();
      await handle.terminate('test over');
    }
  }, 60_000);
});
