/**
 * A delivery too large for one signal goes out as several. If the run that took the first closes before
 * the next is sent, the rest reach nothing: the delivery is answered "busy" (503, which Alertmanager
 * retries), never "not found" (404, which it does not), and the retry opens the incident again with them.
 */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fromTemporal } from '../../src/api/errors.js';
import { ingestGroup, signalBatches } from '../../src/incidents/ingest.js';
import { testActivities } from '../support/activities.js';
import { testIngestConfig } from '../support/ingest.js';
import { makeAlert } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'incident-closed-mid-delivery';
const config = testIngestConfig(TASK_QUEUE);
let client: Client;
let worker: TestWorker;

beforeAll(async () => {
  client = await testClient();
  worker = await startTestWorker(testActivities({ runbooks: {} }), TASK_QUEUE);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
});

it('when the run that took the first batch closes before the next, then the delivery is 503 and its retry opens the incident again', async () => {
  const service = `storm-${Date.now().toString(36)}`;
  const alerts = Array.from({ length: 120 }, (_, n) =>
    makeAlert({
      alertName: 'ClosedMidDelivery',
      labels: { service, instance: `i${n}` },
      annotations: { description: 'x'.repeat(8000) },
    }),
  );
  expect(signalBatches(alerts).length).toBeGreaterThan(1);
  const group = { commonLabels: { alertname: 'ClosedMidDelivery', service }, identity: 'am', alerts };

  // The race, made certain: the run ends right after signalWithStart has given it the first batch.
  let firstRun: string | undefined;
  const racing = Object.create(client) as Client;
  const workflows = Object.create(client.workflow) as Client['workflow'];
  Object.defineProperty(racing, 'workflow', { value: workflows });
  workflows.signalWithStart = (async (...args: Parameters<Client['workflow']['signalWithStart']>) => {
    const handle = await client.workflow.signalWithStart(...args);
    firstRun = handle.signaledRunId;
    await client.workflow.getHandle(handle.workflowId).terminate('closed between two batches');
    return handle;
  }) as Client['workflow']['signalWithStart'];

  const failed = await ingestGroup(racing, config, group).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(fromTemporal(failed)).toMatchObject({ status: 503, code: 'IncidentBusy' });

  // Alertmanager's retry: the incident opens again and takes the whole group.
  const retried = await ingestGroup(client, config, group);
  expect(retried.status).toBe('accepted');
  const handle = client.workflow.getHandle(retried.incidentId);
  const described = await handle.describe();
  expect(described.status.name).toBe('RUNNING');
  expect(described.runId).not.toBe(firstRun);
  await handle.terminate('test over');
});
