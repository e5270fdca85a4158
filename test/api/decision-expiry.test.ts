/**
 * A decision the API answered 503 for stays unrecorded when no worker had it: Temporal keeps an update it was
 * sent while no worker runs and delivers it once one comes back, so the incident itself refuses a
 * decision that arrives after its sender stopped waiting. Real API, real Temporal server, a real worker
 * stopped and started again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings } from '../../src/config/settings.js';
import type { incidentWorkflow } from '../../src/workflows/incident.js';
import { alertsSignal, approveUpdate } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { testApp, TOKENS } from '../support/api-harness.js';
import {
  atStage,
  makeAlert,
  resolvedAlert,
  startIncident,
  waitForState,
  waitRunbook,
} from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'decision-expiry';

const dir = mkdtempSync(join(tmpdir(), 'steadfast-decision-expiry-'));
let client: Client;
let server: RunningServer;
let worker: TestWorker | undefined;
const startWorker = async (): Promise<TestWorker> =>
  startTestWorker(
    testActivities({ runbooks: { 'wait.yaml': waitRunbook('TestDecisionExpiry') } }),
    TASK_QUEUE,
  );

beforeAll(async () => {
  const tokensFile = join(dir, 'tokens.yaml');
  writeFileSync(
    tokensFile,
    `tokens:\n  - { identity: alice, roles: [read, approve, ingest], token: ${TOKENS.alice} }\n`,
  );
  const settings = loadSettings({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    STEADFAST_TOKENS_FILE: tokensFile,
    STEADFAST_API_PORT: '0',
  });
  client = await testClient();
  worker = await startWorker();
  server = await listen(await testApp(settings, { temporalTimeoutMs: 2000 }), '127.0.0.1', 0);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const decide = async (id: string, verb: string, reason: string) => {
  const response = await fetch(`${server.url}/api/v1/incidents/${id}/${verb}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.alice}` },
    body: JSON.stringify({ reason }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};

/** An incident waiting for approval of its plan, then no worker to take anything up. */
async function waitingWithoutWorker(name: string, job: string) {
  const id = `${name}-${Date.now().toString(36)}`;
  const alert = makeAlert({ alertName: 'TestDecisionExpiry', labels: { job } });
  const handle = await startIncident(client, TASK_QUEUE, id, [alert]);
  await waitForState(handle, atStage('approve'));
  await worker?.stop();
  worker = undefined;
  return { id, alert, handle };
}

describe('a decision sent while no worker runs', () => {
  it('when the API answers 503, then the decision is not carried out once the worker is back', async () => {
    const { id, handle } = await waitingWithoutWorker('decision-expiry', 'expiry');
    const unanswered = await decide(id, 'approve', 'restart it');
    expect(unanswered.status).toBe(503);
    expect(unanswered.json['error']).toBe('DecisionUnanswered');
    expect(String(unanswered.json['message'])).toContain('A worker that takes it up later refuses it');
    // The wait as it was: a request's few seconds are not rounded to a whole second.
    expect(String(unanswered.json['message'])).toMatch(/did not take the decision up within \d+\.\ds /);

    worker = await startWorker();
    // The incident answers again once the new worker has its workflow (after the old sticky queue times out).
    await waitForState(handle, () => true, 60_000);
    // Once the worker is back, Temporal hands it the approval it kept; the incident refuses it as
    // expired. A rejection sent now is the first decision: were the approval carried out, it would be
    // refused as already decided, and the wait step would run.
    // As a client does after a 503: on a busy machine the worker may take the first try up too late.
    let rejected = await decide(id, 'reject', 'changed my mind');
    for (let tries = 1; rejected.status === 503 && tries < 5; tries++) {
      rejected = await decide(id, 'reject', 'changed my mind');
    }
    expect(rejected.status).toBe(200);
    const final = await client.workflow.getHandle<typeof incidentWorkflow>(id).result();
    expect(final.outcome).toBe('rejected');
    expect(final.approvals.map((a) => [a.decision, a.actor, a.reason])).toEqual([
      ['rejected', 'alice', 'changed my mind'],
    ]);
    expect(final.actions).toEqual([]);
    expect(final.approvals.every((a) => !('expiresAt' in a))).toBe(true);
  });

  it('when its alert resolved before the worker came back, then an approval waiting for it is refused and nothing runs', async () => {
    const { alert, handle } = await waitingWithoutWorker('decision-resolved', 'resolved');
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    // Sent as the Temporal CLI or Slack send it: no deadline, so it waits for the worker.
    const approval = handle
      .executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'cli' }] })
      .catch((err: unknown) => err);
    worker = await startWorker();

    const refused = await approval;
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({
      type: 'IncidentClosed',
      message: 'every alert has resolved: the incident is closing and nothing will run',
    });
    const final = await handle.result();
    expect(final.outcome).toBe('resolved');
    expect(final.approvals).toEqual([]);
    expect(final.actions).toEqual([]);
  });
});
