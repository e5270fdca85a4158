/**
 * `npm run bench:act`: from Alertmanager's notification to the first action, over many incidents, on
 * real parts: Debian's Alertmanager and Prometheus, a Temporal server, and Steadfast as `npm start` runs
 * it (`src/main.ts`). The clock starts when the notification reaches a relay in front of the API and
 * stops when the action's call reaches a local service. The last line is one JSON object.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import {
  freePort,
  startAlertmanagerServer,
  startPrometheusServer,
  type RunningDaemon,
} from '../demo/daemons.js';
import { breakdown, PHASES } from '../src/domain/breakdown.js';
import { correlate } from '../src/domain/correlation.js';
import { stateQuery } from '../src/workflows/messages.js';
import { ALL_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes.js';
import { startProduct, type ProductProcess } from './lib/product.js';
import { percentile, round, summarize } from './lib/stats.js';
import { runWhenMain, SERVER_BENCH_FLAGS } from './lib/cli.js';
import { benchTemporal, temporalChoice, type BenchTemporal } from './lib/temporal.js';

const USAGE = `Usage: npm run bench:act -- [options]

Starts a Temporal dev server (or see --cluster and --temporal), Debian's Prometheus and Alertmanager, a
local service, and Steadfast (src/main.ts, STEADFAST_DEBOUNCE=0s) with a low-risk runbook that calls the
service. Fires alerts into Alertmanager at a steady rate, one incident each, and measures from each
notification reaching the API to the action's call reaching the service. Stops everything at the end.
The last line is one JSON object.

Options:
  --incidents <n>      incidents, default 100
  --rate <r>           alerts fired per second, default 2
  --temporal <address> measure on this Temporal server (host:port) instead of a dev server of its own
  --cluster            measure on a Temporal cluster it starts (as npm run cluster runs it)
  --quick              a smoke run for tests: 5 incidents
  --help               this text`;

const GOAL_P99_MS = 1000;
/** Incidents a freshly started process takes to warm up (JIT, first workflow, connections): reported apart. */
const WARM_UP = 5;

interface Options {
  incidents: number;
  rate: number;
  temporal: Parameters<typeof benchTemporal>[0];
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      incidents: { type: 'string' },
      rate: { type: 'string' },
      ...SERVER_BENCH_FLAGS,
    },
    strict: true,
  });
  if (values.help) return 'help';
  const incidents = values.incidents === undefined ? (values.quick ? 5 : 100) : Number(values.incidents);
  const rate = values.rate === undefined ? 2 : Number(values.rate);
  if (!Number.isInteger(incidents) || incidents < 1) throw new Error('--incidents must be an integer ≥ 1');
  if (!(rate > 0 && rate <= 100)) throw new Error('--rate must be in (0, 100]');
  return { incidents, rate, temporal: temporalChoice(values.temporal, values.cluster) };
}

/** When something arrived, by incident. */
type Arrivals = Map<string, number>;

function listenLocal(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
const portOf = (s: Server): number => (s.address() as AddressInfo).port;

/** The service the runbook calls: notes when each incident's first call arrives. */
function startService(actions: Arrivals): Promise<Server> {
  return listenLocal((req, res) => {
    const id = /^\/act\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    if (id && !actions.has(id)) actions.set(id, performance.now());
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
}

/**
 * A relay in front of the API that notes when each notification arrives (by the incident label of its
 * alerts), then passes it on; its own cost, a loopback request, falls on the measured side.
 */
function startRelay(apiUrl: string, notified: Arrivals): Promise<Server> {
  return listenLocal((req, res) => {
    const at = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      for (const [, id] of text.matchAll(/"incident":"([\w-]+)"/g))
        if (id && !notified.has(id)) notified.set(id, at);
      fetch(`${apiUrl}${req.url ?? '/'}`, {
        method: req.method ?? 'POST',
        headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
        body,
      }).then(
        async (answer) => res.writeHead(answer.status).end(await answer.text()),
        () => res.writeHead(502).end(),
      );
    });
  });
}

function alertmanagerConfig(dir: string, webhookUrl: string, token: string): void {
  writeFileSync(join(dir, 'token'), token);
  const lines = ['route:', '  receiver: steadfast', '  group_by: [alertname, service]', '  group_wait: 0s'];
  lines.push('  group_interval: 1s', '  repeat_interval: 1h', 'receivers:', '  - name: steadfast');
  lines.push('    webhook_configs:', `      - url: ${webhookUrl}`, '        send_resolved: false');
  lines.push(
    '        http_config:',
    '          authorization:',
    `            credentials_file: ${join(dir, 'token')}`,
  );
  writeFileSync(join(dir, 'alertmanager.yml'), lines.join('\n'));
}

function runbook(serviceUrl: string): string {
  const host = new URL(serviceUrl).host;
  return `title: Call the service at once
match: { alertnames: [ActBench] }
risk: low
approvers: []
approval: { timeout: 10m, finalPolicy: auto-approve }
scope: { http: { hosts: ['${host}'] } }
steps:
  - { action: http.call, url: '${serviceUrl}/act/{{ labels.incident }}' }
verify: { promql: 'vector(1)', within: 60s, interval: 1s }
`;
}

/** Fires one alert per incident into Alertmanager, `rate` per second. */
async function fire(alertmanagerUrl: string, ids: string[], rate: number): Promise<void> {
  const start = performance.now();
  for (const [i, id] of ids.entries()) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const alert = {
      labels: { alertname: 'ActBench', service: id, incident: id },
      annotations: { summary: id },
    };
    const answer = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ ...alert, generatorURL: 'http://127.0.0.1:9/graph' }]),
    });
    if (!answer.ok) throw new Error(`Alertmanager refused an alert: ${answer.status} ${await answer.text()}`);
  }
}

async function waitForActions(ids: string[], actions: Arrivals): Promise<void> {
  for (let seen = -1, progressAt = Date.now(); actions.size < ids.length;) {
    if (actions.size > seen) [seen, progressAt] = [actions.size, Date.now()];
    if (Date.now() - progressAt > 90_000)
      throw new Error(`only ${actions.size} of ${ids.length} incidents acted`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function report(ids: string[], notified: Arrivals, actions: Arrivals, label: string): number {
  const samples = ids.map((id) => (actions.get(id) ?? Number.NaN) - (notified.get(id) ?? Number.NaN));
  if (samples.some((s) => !Number.isFinite(s))) throw new Error('an incident acted without a notification');
  const s = summarize(samples);
  // Which incidents were slowest, by their place in the run: the first few point at a warm-up, the rest at load.
  const slowest = samples
    .map((ms, i) => ({ ms, i }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5)
    .map(({ ms, i }) => `#${i + 1} ${ms.toFixed(0)} ms`);
  console.log(`slowest incidents (in firing order): ${slowest.join(', ')}`);
  const warm = samples.length > 2 * WARM_UP ? summarize(samples.slice(WARM_UP)) : undefined;
  if (warm) {
    console.log(
      `after the first ${WARM_UP} (the process warming up): p50 ${warm.p50.toFixed(0)} ms, p99 ${warm.p99.toFixed(0)} ms`,
    );
  }
  console.log(
    `notification → first action over ${s.count} incidents: p50 ${s.p50.toFixed(0)} ms, p90 ${s.p90.toFixed(0)} ms, ` +
      `p99 ${s.p99.toFixed(0)} ms, max ${s.max.toFixed(0)} ms (goal p99 < ${GOAL_P99_MS} ms)`,
  );
  console.log(
    JSON.stringify({
      temporal: label,
      incidents: s.count,
      p50Ms: round(s.p50, 0),
      p90Ms: round(s.p90, 0),
      p99Ms: round(s.p99, 0),
      maxMs: round(s.max, 0),
      goalMet: s.p99 < GOAL_P99_MS,
      ...(warm ? { warmP50Ms: round(warm.p50, 0), warmP99Ms: round(warm.p99, 0) } : {}),
    }),
  );
  return 0;
}

/** Where the time went: the median of each phase the incidents recorded (src/domain/breakdown.ts). */
async function reportPhases(client: Client, ids: string[]): Promise<void> {
  const states = await Promise.all(
    ids.map((id) =>
      client.workflow
        .getHandle(correlate({ alertname: 'ActBench', service: id }, '').incidentId)
        .query(stateQuery),
    ),
  );
  const phases = PHASES.map(({ phase }) => {
    const seconds = states.map((s) => breakdown(s).phases[phase]).filter((x) => x !== undefined);
    return `${phase} ${(1000 * percentile(seconds, 50)).toFixed(0)} ms`;
  });
  console.log(`median by phase, from the incidents' milestones: ${phases.join(', ')}`);
}

const { EventType } = proto.temporal.api.enums.v1;
type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];
type Stamp = HistoryEvent['eventTime'];
const msOf = (t: Stamp): number => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/** Per activity of one history, before the first action: its wait to be scheduled, queued and run (ms). */
interface ActivityTiming {
  name: string;
  /** From the event before it (the start, or the previous activity's completion) to its scheduling. */
  gap: number;
  queued: number;
  ran: number;
}

function activityTimings(events: HistoryEvent[], startedAt: number): ActivityTiming[] {
  const scheduled = new Map<number, { name: string; at: number; gap: number }>();
  const started = new Map<number, number>();
  const timings: ActivityTiming[] = [];
  let last = startedAt;
  for (const e of events) {
    const at = msOf(e.eventTime);
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      scheduled.set(Number(e.eventId), { name, at, gap: at - last });
    } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      started.set(Number(e.activityTaskStartedEventAttributes?.scheduledEventId), at);
    } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
      const id = Number(e.activityTaskCompletedEventAttributes?.scheduledEventId);
      const s = scheduled.get(id);
      const begun = started.get(id);
      if (!s || begun === undefined) continue;
      timings.push({ name: s.name, gap: s.gap, queued: begun - s.at, ran: at - begun });
      last = at;
      if (s.name === 'applyAction') break;
    }
  }
  return timings;
}

/**
 * Where the time went, from each incident's history: notification → workflow start, then per activity
 * up to the action its wait to be scheduled (a workflow task), its time queued and its run (medians).
 */
async function reportActivities(client: Client, ids: string[], notified: Arrivals): Promise<void> {
  const byName = new Map<string, ActivityTiming[]>();
  const toStart: number[] = [];
  let first: ActivityTiming[] | undefined;
  for (const id of ids) {
    const workflowId = correlate({ alertname: 'ActBench', service: id }, '').incidentId;
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const startedAt = msOf(events[0]?.eventTime);
    const at = notified.get(id);
    if (at !== undefined) toStart.push(startedAt - (performance.timeOrigin + at));
    const timings = activityTimings(events, startedAt);
    first ??= timings;
    for (const t of timings) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);
  }
  const med = (xs: number[]): string => percentile(xs, 50).toFixed(0);
  console.log(
    `notification → workflow started: median ${med(toStart)} ms, p99 ${percentile(toStart, 99).toFixed(0)} ms`,
  );
  // The first incident meets a process that has done nothing yet: what its warm-up costs, step by step.
  const steps = (first ?? []).map((t) => `${t.name} ${t.gap.toFixed(0)}+${t.ran.toFixed(0)}`);
  console.log(`  the first incident, gap+ran per activity (ms): ${steps.join(', ')}`);
  for (const [name, ts] of byName)
    console.log(
      `  ${name.padEnd(22)} gap ${med(ts.map((t) => t.gap)).padStart(4)} ms, queued ${med(ts.map((t) => t.queued)).padStart(4)} ms, ran ${med(ts.map((t) => t.ran)).padStart(4)} ms (median of ${ts.length})`,
    );
}

interface Parts {
  server?: BenchTemporal;
  prometheus?: RunningDaemon;
  alertmanager?: RunningDaemon;
  product?: ProductProcess;
  local: Server[];
  client?: Client;
}

async function stopAll(parts: Parts): Promise<void> {
  await parts.alertmanager?.close();
  for (const s of parts.local) s.closeAllConnections();
  await Promise.all(parts.local.map((s) => new Promise((r) => s.close(r))));
  await parts.client?.connection.close();
  await parts.product?.stop();
  await parts.prometheus?.close();
  await parts.server?.stop();
}

async function terminateAll(client: Client): Promise<void> {
  for await (const w of client.workflow.list({ query: `ExecutionStatus = 'Running'` }))
    await client.workflow
      .getHandle(w.workflowId)
      .terminate('act benchmark finished')
      .catch(() => undefined);
}

export async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const run = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-bench-act-'));
  const parts: Parts = { local: [] };
  const notified: Arrivals = new Map();
  const actions: Arrivals = new Map();
  try {
    parts.server = await benchTemporal(options.temporal, ALL_SEARCH_ATTRIBUTES);
    const service = await startService(actions);
    parts.local.push(service);
    const serviceUrl = `http://127.0.0.1:${portOf(service)}`;
    for (const sub of ['runbooks', 'prometheus', 'alertmanager']) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, 'runbooks', 'act.yaml'), runbook(serviceUrl));
    writeFileSync(join(dir, 'prometheus', 'prometheus.yml'), 'global: { scrape_interval: 15s }\n');
    parts.prometheus = await startPrometheusServer(join(dir, 'prometheus'), await freePort());
    const token = randomUUID();
    const apiPort = await freePort();
    parts.product = await startProduct('src/main.ts', {
      TEMPORAL_ADDRESS: parts.server.address,
      TEMPORAL_TASK_QUEUE: `bench-act-${run}`,
      STEADFAST_API_PORT: String(apiPort),
      STEADFAST_API_TOKEN: token,
      STEADFAST_DEBOUNCE: '0s',
      STEADFAST_AUTO_APPROVE_LOW_RISK: 'true',
      STEADFAST_RUNBOOKS_DIR: join(dir, 'runbooks'),
      STEADFAST_REPORTS_DIR: join(dir, 'reports'),
      PROMETHEUS_URL: parts.prometheus.url,
    });
    const relay = await startRelay(`http://127.0.0.1:${apiPort}`, notified);
    parts.local.push(relay);
    alertmanagerConfig(
      join(dir, 'alertmanager'),
      `http://127.0.0.1:${portOf(relay)}/api/v1/alertmanager`,
      token,
    );
    parts.alertmanager = await startAlertmanagerServer(join(dir, 'alertmanager'), await freePort());
    console.log(
      `${parts.server.label}; Steadfast pid ${parts.product.pid}; ${options.incidents} alerts at ${options.rate}/s`,
    );
    const ids = Array.from({ length: options.incidents }, (_, i) => `act-${run}-${i}`);
    await fire(parts.alertmanager.url, ids, options.rate);
    await waitForActions(ids, actions);
    parts.client = new Client({ connection: await Connection.connect({ address: parts.server.address }) });
    await reportPhases(parts.client, ids);
    await reportActivities(parts.client, ids, notified);
    const code = report(ids, notified, actions, parts.server.label);
    await terminateAll(parts.client);
    return code;
  } finally {
    await stopAll(parts);
    rmSync(dir, { recursive: true, force: true });
  }
}

runWhenMain(import.meta.url, main);
