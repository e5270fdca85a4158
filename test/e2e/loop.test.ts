import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureDemoImage } from '../../scripts/lib/demo-image.mjs';
import {
  activeAlerts,
  freePort,
  injectFault,
  startLoopDaemons,
  startTargets,
  startTraffic,
  type DemoTarget,
  type LoopDaemons,
} from '../../demo/loop.js';
import { stageDurations } from '../../src/activities/lifecycle.js';
import { createApp } from '../../src/api/app.js';
import { TokenStore } from '../../src/api/auth.js';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings } from '../../src/config/settings.js';
import { breakdown, describeBreakdown } from '../../src/domain/breakdown.js';
import type { IncidentState } from '../../src/domain/incident.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics, type Metrics } from '../../src/lib/metrics.js';
import { createClient } from '../../src/temporal/connection.js';
import type { incidentWorkflow } from '../../src/workflows/incident.js';
import { testActivities } from '../support/activities.js';
import { liveMemoryLimit, testDocker } from '../support/docker.js';
import { waitForSamples } from '../support/prometheus.js';
import { recordHistory } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'whole-loop';
const TOKEN = 'whole-loop-token-0123456789abcdef';
const root = join(import.meta.dirname, '..', '..');
const MiB = 1024 * 1024;

let docker: Docker;
let client: Client;
let worker: TestWorker;
let api: RunningServer;
let daemons: LoopDaemons;
let targets: DemoTarget[];
let stopTraffic: () => void;
let metrics: Metrics;

/** The runbooks the repo ships, as they are. */
function shippedRunbooks(): Record<string, string> {
  const dir = join(root, 'runbooks');
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );
}

const target = (service: string): DemoTarget => {
  const found = targets.find((t) => t.service === service);
  if (!found) throw new Error(`no target ${service}`);
  return found;
};

/** The incident the loop opened for an alert on a service, once visibility shows it. */
async function incidentFor(
  alertName: string,
  service: string,
  timeoutMs = 120_000,
): Promise<WorkflowHandle<typeof incidentWorkflow>> {
  const deadline = Date.now() + timeoutMs;
  const query = `WorkflowType = 'incidentWorkflow' AND IncidentAlertName = '${alertName}' AND IncidentService = '${service}'`;
  for (;;) {
    for await (const wf of client.workflow.list({ query })) {
      return client.workflow.getHandle<typeof incidentWorkflow>(wf.workflowId);
    }
    if (Date.now() > deadline)
      throw new Error(`no ${alertName} incident for ${service} after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function report(name: string, state: IncidentState): void {
  const b = breakdown(state);
  process.stdout.write(
    `\n${name}: ${state.outcome}\n${describeBreakdown(state)
      .map((l) => `  ${l}`)
      .join('\n')}\n` +
      `  stages ${JSON.stringify(stageDurations(state))}\n` +
      `  phases ${JSON.stringify(b.phases)}; notification → first action without the approval wait: ${b.notificationToActionSeconds?.toFixed(3)}s\n`,
  );
}

beforeAll(async () => {
  docker = testDocker();
  const image = await ensureDemoImage();
  const runId = inject('testRunId');
  targets = await startTargets(
    docker,
    image,
    [
      { service: 'checkout', port: await freePort() },
      { service: 'payments', port: await freePort() },
    ],
    { namePrefix: `steadfast-test-loop-${runId.slice(0, 8)}`, labels: { 'steadfast.test': runId } },
  );
  stopTraffic = startTraffic(targets);

  metrics = createMetrics();
  const logger = createLogger('silent');
  // Triage asks only a configured Prometheus: the one started below, on this port.
  const prometheusPort = await freePort();
  worker = await startTestWorker(
    testActivities({
      runbooks: shippedRunbooks(),
      docker,
      logger,
      metrics,
      // The API's single token acts as `admin`: the approver of the medium-risk runbooks, which no one
      // could approve otherwise.
      recommend: { autoApproveLowRisk: true, approvers: ['admin'] },
      triage: { prometheusUrl: `http://127.0.0.1:${prometheusPort}` },
    }),
    TASK_QUEUE,
  );
  client = await testClient();
  const settings = loadSettings({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    STEADFAST_API_TOKEN: TOKEN,
    STEADFAST_DEBOUNCE: '0s',
    STEADFAST_API_PORT: '0',
  });
  const app = createApp({
    settings,
    client: await createClient(settings.temporal),
    tokens: await TokenStore.load(settings.auth),
    metrics,
    logger,
  });
  api = await listen(app, '127.0.0.1', 0);
  daemons = await startLoopDaemons({
    targets,
    webhookUrl: `${api.url}/api/v1/alertmanager`,
    token: TOKEN,
    prometheusPort,
  });
  for (const t of targets) await waitForSamples(daemons.prometheus.url, `up{job="${t.service}"}`, 3);
}, 180_000);

afterAll(async () => {
  stopTraffic?.();
  await daemons?.close();
  await api?.close();
  await worker?.stop();
  for (const t of targets ?? []) {
    await docker
      .getContainer(t.container)
      .remove({ force: true })
      .catch(() => undefined);
  }
});

describe('the whole loop on real Prometheus, Alertmanager, Temporal and containers', () => {
  it('when a service crashes, then Alertmanager wakes Steadfast, the low-risk restart runs unattended and the alert resolves', async () => {
    const checkout = target('checkout');
    const container = docker.getContainer(checkout.container);
    const before = (await container.inspect()).State.StartedAt;

    await injectFault(checkout, 'crash');
    const handle = await incidentFor('ServiceDown', 'checkout');
    const final = await handle.result();
    report('crash', final);
    await recordHistory(client, handle.workflowId, 'loop-crash-auto-approved');

    expect(final.outcome).toBe('verified');
    expect(final.recommendation?.runbookId).toBe('service-down-restart');
    expect(final.approvals.map((a) => a.actor)).toEqual(['policy:auto-approve']);
    expect(final.actions.map((a) => [a.description, a.status])).toEqual([
      [`restart container ${checkout.container}`, 'done'],
    ]);
    const after = await container.inspect();
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(before);
    for (const m of [
      'alertFiring',
      'opened',
      'recommended',
      'approved',
      'firstAction',
      'verified',
    ] as const) {
      expect(final.milestones[m], m).toBeDefined();
    }
    expect(breakdown(final).phases.to_verified).toBeGreaterThanOrEqual(0);

    // Alertmanager sees the service up again and resolves its alert.
    await until(
      'the ServiceDown alert to resolve',
      async () =>
        (await activeAlerts(daemons.alertmanager.url, 'ServiceDown', 'checkout')) === 0 ? true : undefined,
      90_000,
    );
  }, 240_000);

  it('when a service leaks memory, then the recommended restart and higher limit run after approval and the alert resolves', async () => {
    const payments = target('payments');
    const container = docker.getContainer(payments.container);
    const before = (await container.inspect()).State.StartedAt;
    expect(await liveMemoryLimit(container)).toBe(256 * MiB);

    await injectFault(payments, 'leak', { mbPerSecond: '3' });
    const handle = await incidentFor('MemoryLeak', 'payments');
    const waiting = await until(
      'the leak incident to wait for approval',
      async () => {
        const s = await handle.query('state').catch(() => undefined);
        return (s as IncidentState | undefined)?.stage === 'approve' ? (s as IncidentState) : undefined;
      },
      120_000,
    );
    expect(waiting.recommendation?.runbookId).toBe('memory-leak');
    expect(waiting.recommendation?.risk).toBe('medium');
    // The rule's generatorURL carries the configured Prometheus's origin, so its series was read there.
    expect(waiting.detection?.prometheusUrl).toBe(daemons.prometheus.url);
    expect(waiting.detection?.series?.values.length).toBeGreaterThan(0);

    const approved = await fetch(`${api.url}/api/v1/incidents/${handle.workflowId}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'restart and give it room' }),
    });
    expect(approved.status).toBe(200);
    const final = await handle.result();
    report('memory leak', final);
    await recordHistory(client, handle.workflowId, 'loop-memory-leak-approved');

    expect(final.outcome).toBe('verified');
    expect(final.actions.map((a) => a.status)).toEqual(['done', 'done']);
    const after = await container.inspect();
    expect(after.State.StartedAt).not.toBe(before);
    expect(await liveMemoryLimit(container)).toBe(1024 * MiB);
    // The injected fault's start time reached the incident through the alert's annotation.
    expect(final.milestones.fault).toBeDefined();

    await until(
      'the MemoryLeak alert to resolve',
      async () =>
        (await activeAlerts(daemons.alertmanager.url, 'MemoryLeak', 'payments')) === 0 ? true : undefined,
      120_000,
    );
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/steadfast_incident_phase_seconds_count\{phase="approval_wait"\} [1-9]/);
  }, 300_000);
});
