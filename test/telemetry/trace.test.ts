import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { text as readText } from 'node:stream/consumers';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings } from '../../src/config/settings.js';
import type { IncidentState } from '../../src/domain/incident.js';
import { startTracing, type Tracing } from '../../src/telemetry/index.js';
import { createClient } from '../../src/temporal/connection.js';
import { createIncidentWorker } from '../../src/temporal/worker.js';
import { stateQuery } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { alertPayload, testApp } from '../support/api-harness.js';
import { workflowBundle } from '../support/temporal.js';
import {
  alertRules,
  startMetricsTarget,
  startPrometheus,
  type MetricsTarget,
} from '../support/prometheus.js';
import type { RunningPrometheus } from '../support/prometheus.js';
import { CLIENT, SERVER, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const TASK_QUEUE = 'telemetry-tests';
const TOKEN = 'trace-token-0123456789abcdef';
const ALERT = 'TraceTestCachePressure';
const SERVICE = 'steadfast-trace-test';

let receiver: OtlpReceiver;
let cache: Server;
let cacheUrl = '';
let target: MetricsTarget;
let prometheus: RunningPrometheus;
let tracing: Tracing | undefined;
let temporal: Client;
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let api: RunningServer;
let incidentId = '';
let closed: IncidentState;
let histories: { workflowId: string; history: History }[] = [];

/** Posted as Alertmanager and curl post: plain HTTP, with no trace context of its own. */
function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${api.url}${path}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      },
      (res) => {
        readText(res).then(
          (answer) =>
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(answer) as Record<string, unknown> }),
          reject,
        );
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

async function waitForState(done: (s: IncidentState) => boolean): Promise<IncidentState> {
  const handle = temporal.workflow.getHandle(incidentId);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await handle.query(stateQuery).catch(() => undefined);
    if (state && done(state)) return state;
    if (Date.now() > deadline) throw new Error(`timed out; stage ${state?.stage}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const runbook = (host: string): string => `
title: Ask the trace test cache to flush
match: { alertnames: [${ALERT}] }
risk: medium
approvers: [alice]
scope: { http: { hosts: ['${host}'] } }
steps:
  - action: http.call
    url: http://${host}/maintenance/flush
verify: { promql: 'trace_test_ratio < 0.05', within: 30s, interval: 1s }
`;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  cache = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(202).end('flushing'));
  });
  await new Promise<void>((resolve) => cache.listen(0, '127.0.0.1', resolve));
  cacheUrl = `127.0.0.1:${(cache.address() as AddressInfo).port}`;
  target = await startMetricsTarget();
  target.gauge('trace_test_ratio').set(0.01);
  prometheus = await startPrometheus(
    [{ job: 'trace', port: target.port }],
    alertRules([{ alert: ALERT, expr: 'trace_test_ratio > 0.05' }]),
  );

  const dir = mkdtempSync(join(tmpdir(), 'steadfast-trace-'));
  writeFileSync(
    join(dir, 'tokens.yaml'),
    `tokens:\n  - { identity: alice, roles: [read, approve, ingest], token: ${TOKEN} }\n`,
  );
  const settings = loadSettings({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    STEADFAST_TOKENS_FILE: join(dir, 'tokens.yaml'),
    STEADFAST_DEBOUNCE: '100ms',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: SERVICE,
  });
  // As src/main.ts does: tracing first, then the clients, the worker and the server take their parts.
  tracing = await startTracing(settings.telemetry, 'steadfast');
  temporal = await createClient(settings.temporal);
  connection = await NativeConnection.connect({ address: settings.temporal.address });
  worker = await createIncidentWorker({
    connection,
    namespace: settings.temporal.namespace,
    taskQueue: TASK_QUEUE,
    activities: testActivities({
      runbooks: { 'flush.yaml': runbook(cacheUrl) },
      temporal,
      triage: { prometheusUrl: prometheus.url },
    }),
  });
  running = worker.run();
  api = await listen(await testApp(settings), '127.0.0.1', 0);

  const posted = await post(
    '/api/v1/alertmanager',
    alertPayload({
      alertname: ALERT,
      labels: { service: 'cache', severity: 'warning' },
      summary: 'the trace test cache is nearly full',
      prometheus: { url: prometheus.url, expr: 'trace_test_ratio > 0.05' },
    }),
  );
  expect(posted.status).toBe(202);
  const [first] = posted.json['incidents'] as { incidentId: string }[];
  incidentId = first?.incidentId ?? '';
  await waitForState((s) => s.stage === 'approve');
  const approved = await post(`/api/v1/incidents/${incidentId}/approve`, { reason: 'flush it' });
  expect(approved.status).toBe(200);
  closed = await waitForState((s) => s.stage === 'closed');
  await temporal.workflow.getHandle(incidentId).result();
  histories = await Promise.all(
    [incidentId, `remediation-guard-${TASK_QUEUE}`].map(async (workflowId) => ({
      workflowId,
      history: await temporal.workflow.getHandle(workflowId).fetchHistory(),
    })),
  );
  // The workflow's spans leave through the worker's sink; stopping the worker and then tracing sends
  // every span there is.
  worker.shutdown();
  await running;
  await tracing?.shutdown();
}, 240_000);

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await tracing?.shutdown();
  await api?.close();
  await connection?.close();
  await temporal?.connection.close();
  await prometheus?.close();
  await target?.close();
  await new Promise<void>((resolve) => (cache ? cache.close(() => resolve()) : resolve()));
  await receiver?.close();
});

/** The span's ancestors, nearest first, as far as the trace holds them. */
function ancestors(span: ReceivedSpan, byId: Map<string, ReceivedSpan>): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (let p = byId.get(span.parentSpanId); p; p = byId.get(p.parentSpanId)) out.push(p);
  return out;
}

describe('an incident traced from the webhook to its outgoing calls', () => {
  it('when the webhook opens an incident, then one trace holds the request, the workflow, its activities and their HTTP calls, as one tree', () => {
    expect(closed.outcome, JSON.stringify(closed.timeline.slice(-8))).toBe('verified');
    const webhook = receiver.spans.find(
      (s) => s.kind === SERVER && s.name === 'POST /api/v1/alertmanager' && s.parentSpanId === '',
    );
    expect(webhook, JSON.stringify(receiver.spans.map((s) => s.name))).toBeDefined();
    const trace = receiver.spans.filter((s) => s.traceId === webhook?.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));

    // One tree: a single root (the webhook), and every other span's parent is in the trace.
    expect(trace.filter((s) => s.parentSpanId === '')).toEqual([webhook]);
    expect(trace.filter((s) => s.parentSpanId !== '' && !byId.has(s.parentSpanId))).toEqual([]);
    expect(new Set(trace.map((s) => s.service))).toEqual(new Set([SERVICE]));

    const named = (name: string): ReceivedSpan => {
      const span = trace.find((s) => s.name === name);
      expect(span, `${name} in ${JSON.stringify(trace.map((s) => s.name))}`).toBeDefined();
      return span as ReceivedSpan;
    };
    const start = named('SignalWithStartWorkflow:incidentWorkflow');
    const run = named('RunWorkflow:incidentWorkflow');
    expect(ancestors(run, byId)).toContain(start);
    expect(ancestors(start, byId)).toContain(webhook);
    expect(run.attributes['workflowId']).toBe(incidentId);
    for (const activity of [
      'recordIncidentOpened',
      'detectAndForecast',
      'recommendRunbook',
      'applyAction',
      'checkCondition',
    ]) {
      const executed = named(`RunActivity:${activity}`);
      expect(ancestors(executed, byId)).toContain(named(`StartActivity:${activity}`));
      expect(ancestors(executed, byId)).toContain(run);
    }

    // Outgoing calls are client spans under the activity that made them.
    const calls = trace.filter((s) => s.kind === CLIENT && typeof s.attributes['url.full'] === 'string');
    const flush = calls.find((s) => s.attributes['url.full'] === `http://${cacheUrl}`);
    expect(flush?.attributes['http.response.status_code']).toBe(202);
    // Of an outgoing call only its origin is told: a webhook's path is its secret.
    expect(JSON.stringify(calls)).not.toContain('/maintenance/flush');
    expect(ancestors(flush as ReceivedSpan, byId)[0]?.name).toBe('RunActivity:applyAction');
    const queries = calls.filter((s) => s.attributes['url.full'] === prometheus.url);
    const querying = new Set(queries.map((s) => ancestors(s, byId)[0]?.name));
    expect(querying).toContain('RunActivity:detectAndForecast');
    expect(querying).toContain('RunActivity:checkCondition');
  });

  it('when a person approves through the API, then the update is traced from their request into the workflow', () => {
    const request = receiver.spans.find(
      (s) => s.kind === SERVER && s.name === 'POST /api/v1/incidents/:id/approve',
    );
    expect(request, JSON.stringify(receiver.spans.map((s) => s.name))).toBeDefined();
    const trace = receiver.spans.filter((s) => s.traceId === request?.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const handled = trace.find((s) => s.name === 'HandleUpdate:approve');
    expect(handled, JSON.stringify(trace.map((s) => s.name))).toBeDefined();
    const chain = ancestors(handled as ReceivedSpan, byId);
    expect(chain.map((s) => s.name)).toEqual(['StartWorkflowUpdate:approve', request?.name]);
    expect(trace.filter((s) => s.parentSpanId !== '' && !byId.has(s.parentSpanId))).toEqual([]);
  });

  it('when tracing is turned off again, then the histories it recorded replay without it', async () => {
    const [incident, guard] = histories.map((h) => h.history.events?.length ?? 0);
    expect(incident).toBeGreaterThan(20);
    expect(guard).toBeGreaterThan(3);
    const failed: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: await workflowBundle() },
      histories,
    )) {
      if (result.error) failed.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failed).toEqual([]);
  });
});
