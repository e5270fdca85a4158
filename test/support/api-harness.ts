import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type Docker from 'dockerode';
import { inject } from 'vitest';
import type { Express } from 'express';
import { createApp, type AppDeps } from '../../src/api/app.js';
import { TokenStore } from '../../src/api/auth.js';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import type { IncidentState } from '../../src/domain/incident.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createClient } from '../../src/temporal/connection.js';
import { testActivities } from './activities.js';
import { testDocker } from './docker.js';
import { alertRules, startMetricsTarget, startPrometheus, waitForSamples } from './prometheus.js';
import { startTestWorker, testClient, type TestWorker } from './temporal.js';
import { webhookBody } from './webhook.js';

/**
 * The real API app for these settings, wired as src/system.ts wires it (its own Temporal client, the
 * settings' tokens, silent logs); `extra` overrides a part, such as a client with a codec.
 */
export async function testApp(settings: Settings, extra: Partial<AppDeps> = {}): Promise<Express> {
  return createApp({
    settings,
    client: await createClient(settings.temporal),
    tokens: await TokenStore.load(settings.auth),
    metrics: createMetrics(),
    logger: createLogger('silent'),
    ...extra,
  });
}

/** Tokens of the console and report tests: who may approve is also up to each runbook's approvers. */
export const TOKENS = {
  alice: 'alice-token-0123456789abcdef',
  viewer: 'viewer-token-0123456789abcdef',
  mallory: 'mallory-token-0123456789abcdef',
};

export interface ApiHarness {
  server: RunningServer;
  client: Client;
  docker: Docker;
  settings: Settings;
  reportsDir: string;
  call: (
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; base?: string },
  ) => Promise<{ status: number; text: string; json: Record<string, unknown>; headers: Headers }>;
  state: (id: string) => Promise<IncidentState>;
  waitFor: (id: string, done: (s: IncidentState) => boolean, timeoutMs?: number) => Promise<IncidentState>;
  stop: () => Promise<void>;
}

/**
 * A real worker (real activities, podman's Docker API) on its own task queue and the real API in front
 * of it, with a fresh reports folder: what `npm start` runs, on the test's Temporal server.
 */
export async function startApiHarness(options: {
  taskQueue: string;
  runbooks: Record<string, string>;
  /** The Prometheus triage may ask (alerts naming any other are not read). */
  prometheusUrl?: string;
  /** Further settings, over the harness's own. */
  env?: Record<string, string>;
}): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-api-'));
  const tokensFile = join(dir, 'tokens.yaml');
  writeFileSync(
    tokensFile,
    [
      'tokens:',
      `  - { identity: alice, roles: [read, approve, ingest], token: ${TOKENS.alice} }`,
      `  - { identity: viewer, roles: [read], token: ${TOKENS.viewer} }`,
      `  - { identity: mallory, roles: [read, approve], token: ${TOKENS.mallory} }`,
    ].join('\n'),
  );
  const reportsDir = join(dir, 'reports');
  const settings = loadSettings({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    STEADFAST_TOKENS_FILE: tokensFile,
    STEADFAST_DEBOUNCE: '100ms',
    STEADFAST_API_PORT: '0',
    STEADFAST_REPORTS_DIR: reportsDir,
    ...options.env,
  });
  const docker = testDocker();
  const metrics = createMetrics();
  const logger = createLogger('silent');
  const worker: TestWorker = await startTestWorker(
    testActivities({
      runbooks: options.runbooks,
      docker,
      logger,
      metrics,
      reportsDir,
      triage: {
        detectRecentMs: 4000,
        ...(options.prometheusUrl ? { prometheusUrl: options.prometheusUrl } : {}),
      },
    }),
    options.taskQueue,
  );
  const client = await testClient();
  const server = await listen(await testApp(settings, { metrics, logger, docker }), '127.0.0.1', 0);

  const call: ApiHarness['call'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (o.token) headers['authorization'] = `Bearer ${o.token}`;
    const response = await fetch(`${o.base ?? server.url}${path}`, {
      method,
      headers,
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // an HTML page, a report
    }
    return { status: response.status, text, json, headers: response.headers };
  };
  const state = async (id: string): Promise<IncidentState> => {
    const r = await call('GET', `/api/v1/incidents/${id}`, { token: TOKENS.viewer });
    if (r.status !== 200) throw new Error(`GET incident ${id}: ${r.status} ${r.text}`);
    return r.json['incident'] as IncidentState;
  };
  const waitFor: ApiHarness['waitFor'] = async (id, done, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await state(id).catch(() => undefined);
      if (s && done(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${id}; stage ${s?.stage}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return {
    server,
    client,
    docker,
    settings,
    reportsDir,
    call,
    state,
    waitFor,
    stop: async () => {
      await server.close();
      await worker.stop();
    },
  };
}

/**
 * The real API against a Temporal that cannot be reached (a closed loopback port), with `env` on top of
 * that address and a 2 s Temporal timeout so that its 503s come promptly. The caller closes it.
 */
export async function startOfflineApi(env: Record<string, string>): Promise<RunningServer> {
  const settings = loadSettings({ ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
  return listen(await testApp(settings, { temporalTimeoutMs: 2000 }), '127.0.0.1', 0);
}

/** An Alertmanager webhook body (payload version 4) for one alert of the given labels. */
export function alertPayload(options: {
  alertname: string;
  labels: Record<string, string>;
  summary: string;
  status?: 'firing' | 'resolved';
  /** The rule's expression on a Prometheus, so detection reads the series. */
  prometheus?: { url: string; expr: string };
  startsAt?: string;
}) {
  const labels = { alertname: options.alertname, ...options.labels };
  return webhookBody(
    {
      groupLabels: { alertname: options.alertname },
      commonLabels: labels,
      commonAnnotations: { summary: options.summary },
      externalURL: 'http://127.0.0.1:9093',
    },
    [
      {
        status: options.status ?? 'firing',
        labels,
        annotations: { summary: options.summary },
        startsAt: options.startsAt ?? new Date(Date.now() - 20_000).toISOString(),
        generatorURL: options.prometheus
          ? `${options.prometheus.url}/graph?g0.expr=${encodeURIComponent(options.prometheus.expr)}&g0.tab=1`
          : '',
        fingerprint: `fp-${Object.values(labels).join('-')}`.slice(0, 128),
      },
    ],
  );
}

export async function incidentIdOf(response: { json: Record<string, unknown> }): Promise<string> {
  const [first] = (response.json['incidents'] ?? []) as { incidentId: string }[];
  if (!first) throw new Error(`no incident in the answer: ${JSON.stringify(response.json)}`);
  return first.incidentId;
}

/**
 * A gauge scraped every second by a real Prometheus: a noisy baseline until `rise()`, then a steady
 * climb towards the alert's threshold (0.05), so detection has a finding and the forecast a crossing.
 */
export async function startRisingMetric(
  name: string,
  job: string,
  /** The alerts whose rule is `name > 0.05` on this Prometheus, as the tests' alerts name it. */
  alertnames: readonly string[],
) {
  const target = await startMetricsTarget();
  const gauge = target.gauge(name);
  let risingSince: number | undefined;
  const jitter = setInterval(() => {
    const base = risingSince === undefined ? 0.01 : 0.015 + 0.0012 * ((Date.now() - risingSince) / 1000);
    gauge.set(base * (0.9 + Math.random() * 0.2));
  }, 250);
  const expr = `${name} > 0.05`;
  const prometheus = await startPrometheus(
    [{ job, port: target.port }],
    alertRules(alertnames.map((alert) => ({ alert, expr }))),
  );
  return {
    prometheus,
    expr,
    /** Waits for a baseline of samples, then starts the climb; returns when it started (the alert's startsAt). */
    rise: async (): Promise<string> => {
      await waitForSamples(prometheus.url, name, 15);
      risingSince = Date.now();
      return new Date(risingSince).toISOString();
    },
    close: async (): Promise<void> => {
      clearInterval(jitter);
      await prometheus.close();
      await target.close();
    },
  };
}
