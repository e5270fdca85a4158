/**
 * Verification while Prometheus cannot answer: no answer is no evidence that the fix failed, so the
 * window is extended once instead of the fix being rolled back. A real Prometheus behind a relay that
 * the test cuts (a black hole, as a hung server is) and heals, on a real Temporal server.
 */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveUpdate } from '../../src/workflows/messages.js';
import { startCuttableLink, type CuttableLink } from '../faults/support/proxy.js';
import { testActivities } from '../support/activities.js';
import {
  startMetricsTarget,
  startPrometheus,
  waitForSamples,
  type MetricsTarget,
  type RunningPrometheus,
} from '../support/prometheus.js';
import { makeAlert, startIncident, waitForState, waitRunbook } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'verify-unanswered';

const RUNBOOK = waitRunbook(
  'UnansweredCheck',
  `{ promql: 'up{job="unanswered"} == 1', within: 6s, interval: 1s }`,
);

let client: Client;
let worker: TestWorker;
let target: MetricsTarget;
let prometheus: RunningPrometheus;
let link: CuttableLink;

beforeAll(async () => {
  target = await startMetricsTarget();
  prometheus = await startPrometheus([{ job: 'unanswered', port: target.port }]);
  await waitForSamples(prometheus.url, 'up{job="unanswered"}', 2);
  link = await startCuttableLink(new URL(prometheus.url).host);
  client = await testClient();
  worker = await startTestWorker(
    testActivities({
      runbooks: { 'check.yaml': RUNBOOK },
      triage: { prometheusUrl: `http://${link.address}` },
    }),
    TASK_QUEUE,
  );
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await link?.close();
  await prometheus?.close();
  await target?.close();
});

describe('verification while Prometheus cannot answer', () => {
  it('when Prometheus does not answer past the window and then does, then the fix is verified, not rolled back', async () => {
    const id = `unanswered-${Date.now().toString(36)}`;
    const handle = await startIncident(client, TASK_QUEUE, id, [
      makeAlert({ alertName: 'UnansweredCheck', labels: { job: 'unanswered' } }),
    ]);
    await waitForState(handle, (s) => s.stage === 'approve');

    link.cut();
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    await waitForState(handle, (s) => s.stage === 'verify');
    // Past the 6 s window: the first check hangs until Prometheus' 5 s timeout, and finds no answer.
    await new Promise((r) => setTimeout(r, 8000));
    link.heal();

    const result = await handle.result();
    expect(result.outcome).toBe('verified');
    expect(result.verification?.message).toContain('up{job="unanswered"} == 1 holds');
  });
});
