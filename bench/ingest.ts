/**
 * `npm run bench:ingest`: webhook ingestion on real parts. A Temporal dev server of its own (or a cluster, or a given server), the real
 * worker and the real API (src/system.ts, as `npm start` runs them), then:
 *   1. latency: the webhook (HTTP 202 received) against the raw Temporal client's signalWithStart of the
 *      same workflow with the same input, interleaved request by request so machine noise hits both;
 *   2. the same at a concurrency, in alternating blocks, for throughput;
 *   3. an alert storm across hundreds of groups with Alertmanager-style re-deliveries, then a check in
 *      Temporal that every group has exactly one incident holding each of its alerts exactly once.
 * Everything it starts is stopped at the end, also on failure or Ctrl-C. The last line is one JSON object.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { destination, pino } from 'pino';
import { loadSettings, type Settings } from '../src/config/settings.js';
import { alertsFromAlertmanager, type Alert, type AlertmanagerPayload } from '../src/domain/alert.js';
import { correlate } from '../src/domain/correlation.js';
import { ingestConfigFrom, startOptions } from '../src/incidents/ingest.js';
import type { Logger } from '../src/lib/logger.js';
import { installTemporalLogging } from '../src/lib/temporal-logger.js';
import { createMetrics, startApi, startWorker } from '../src/system.js';
import { INCIDENT_WORKFLOW_TYPE, type IncidentWorkflow } from '../src/workflows/messages.js';
import { ALL_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes.js';
import { alertmanagerStorm, stormService } from './lib/am-storm.js';
import { SERVER_BENCH_FLAGS } from './lib/cli.js';
import { cpuSpent, processCpuSeconds, sampleCpu, sampleCpuWhenIdle, type CpuSample } from './lib/cpu.js';
import { describeError, stormRuns, tallyIncidents } from './lib/incidents.js';
import { freePort } from './lib/dev-server.js';
import { startProduct } from './lib/product.js';
import { benchTemporal, temporalChoice, type BenchTemporal } from './lib/temporal.js';
import {
  percentile,
  pool,
  round,
  seededRandom,
  shuffle,
  summarize,
  type LatencySummary,
} from './lib/stats.js';
import { alertmanagerPayload, alertSpec, WebhookClient, type AlertSpec } from './lib/webhook.js';

const USAGE = `Usage: npm run bench:ingest -- [options]

Starts a Temporal dev server (loopback, SQLite in a temporary folder; or see --cluster and --temporal),
the Steadfast worker and API, and
measures webhook ingestion: latency against the raw Temporal client doing the same signalWithStart,
throughput, and an alert storm checked for lost and doubled alerts and incidents. Stops everything it
started at the end. The last line is one JSON object with the figures.

Options:
  --requests <n>           latency samples per side, sequential and concurrent, default 1000
  --warmup <n>             unmeasured requests per side first, default 100
  --concurrency <c>        requests in flight in the concurrent latency phase (1 skips it), default 16
  --storm-alerts <n>       distinct alerts in the storm, default 5000
  --storm-groups <g>       alert groups (one incident each) in the storm, default 300
  --storm-concurrency <c>  webhook deliveries in flight during the storm, default 32
  --storm-via <how>        webhook: deliveries of 1–4 alerts straight to the API (default); alertmanager:
                           the alerts fired into Debian's Alertmanager, which notifies per group
  --group-interval <s>     Alertmanager's group_interval in the alertmanager storm, default 5
  --resend-share <x>       share of storm deliveries Alertmanager delivers again, default 0.1
  --seed <n>               seed of the storm's batches, re-sends and order, default 1
  --temporal <address>     measure on this Temporal server (host:port) instead of a dev server of its own
  --cluster                measure on a Temporal cluster it starts (PostgreSQL and four services, as
                           npm run cluster runs), in a temporary folder
  --steadfast <shape>      where the worker and the API run: in-process (default), inside this process
                           beside the load it sends; separate, an API replica (STEADFAST_ROLE=api) and a
                           worker (worker.ts), each its own process, as scaled out; npm-start, both in one
                           process of their own, as npm start runs them. Both process shapes run the
                           compiled dist/ (built first)
  --quick                  small numbers (a smoke run for tests): 30 requests, 200 alerts in 20 groups
  --help                   this text

Environment: STEADFAST_TEMPORAL_CLI names the Temporal CLI binary (otherwise found or built as npm start does).`;

const SHAPES = ['in-process', 'separate', 'npm-start'] as const;
type SteadfastShape = (typeof SHAPES)[number];
function steadfastShape(text: string | undefined): SteadfastShape {
  const shape = SHAPES.find((s) => s === (text ?? 'in-process'));
  if (!shape) throw new Error(`--steadfast must be ${SHAPES.join(', ')}; got ${JSON.stringify(text)}`);
  return shape;
}

function stormVia(text: string | undefined): Options['stormVia'] {
  if (text === undefined || text === 'webhook' || text === 'alertmanager') return text ?? 'webhook';
  throw new Error(`--storm-via must be webhook or alertmanager, got ${JSON.stringify(text)}`);
}

/** The API must add no more than this over the raw client's p99. */
const P99_GOAL_RATIO = 1.3;
/** Long enough that no incident leaves `collect` during the run: the bench measures ingestion only. */
const DEBOUNCE = '1h';
const NAMESPACE_LABEL = 'bench';

interface Options {
  requests: number;
  warmup: number;
  concurrency: number;
  stormAlerts: number;
  stormGroups: number;
  stormConcurrency: number;
  stormVia: 'webhook' | 'alertmanager';
  groupInterval: number;
  resendShare: number;
  seed: number;
  quick: boolean;
  steadfast: SteadfastShape;
  /** Where Temporal runs: a dev server of its own, a cluster of its own, or a server it is given. */
  temporal: { kind: 'dev-server' } | { kind: 'cluster' } | { kind: 'external'; address: string };
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      'storm-alerts': { type: 'string' },
      'storm-groups': { type: 'string' },
      'storm-concurrency': { type: 'string' },
      'storm-via': { type: 'string' },
      'group-interval': { type: 'string' },
      'resend-share': { type: 'string' },
      seed: { type: 'string' },
      steadfast: { type: 'string' },
      ...SERVER_BENCH_FLAGS,
    },
    strict: true,
  });
  if (values.help) return 'help';
  const quick = values.quick;
  const int = (name: string, text: string | undefined, fallback: number, min: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
    }
    return value;
  };
  const options: Options = {
    requests: int('requests', values.requests, quick ? 30 : 1000, 1),
    warmup: int('warmup', values.warmup, quick ? 5 : 100, 0),
    concurrency: int('concurrency', values.concurrency, quick ? 4 : 16, 1),
    stormAlerts: int('storm-alerts', values['storm-alerts'], quick ? 200 : 5000, 1),
    stormGroups: int('storm-groups', values['storm-groups'], quick ? 20 : 300, 1),
    stormConcurrency: int('storm-concurrency', values['storm-concurrency'], quick ? 8 : 32, 1),
    stormVia: stormVia(values['storm-via']),
    groupInterval: int('group-interval', values['group-interval'], 5, 1),
    resendShare: values['resend-share'] === undefined ? 0.1 : Number(values['resend-share']),
    seed: int('seed', values.seed, 1, 0),
    quick,
    temporal: temporalChoice(values.temporal, values.cluster),
    steadfast: steadfastShape(values.steadfast),
  };
  if (!(options.resendShare >= 0 && options.resendShare <= 1))
    throw new Error('--resend-share must be in [0, 1]');
  if (options.stormGroups > options.stormAlerts)
    throw new Error('--storm-groups must not exceed --storm-alerts');
  return options;
}

/** What the bench started; clean-up reads it, whatever phase failed. */
interface Running {
  server?: BenchTemporal;
  worker?: { stop: () => Promise<void> };
  api?: { stop: () => Promise<void>; server: { url: string } };
  /** The API replica's process, when it has one of its own without a worker (--steadfast separate). */
  apiPid?: number;
  /** Re-sent alerts the API recognised as delivered (its steadfast_alerts_already_delivered_total). */
  recognised?: () => Promise<number>;
  raw?: Client;
  http?: WebhookClient;
  settings?: Settings;
  /** Every workflow ID a request (either side) may have started. */
  started: Set<string>;
}

const fmt = (ms: number): string => ms.toFixed(2).padStart(8);
function latencyLine(name: string, s: LatencySummary): string {
  return `  ${name.padEnd(34)}${fmt(s.p50)}${fmt(s.p90)}${fmt(s.p99)}${fmt(s.max)}${fmt(s.mean)}`;
}
const LATENCY_HEADER = `  ${''.padEnd(34)}${['p50', 'p90', 'p99', 'max', 'mean'].map((h) => h.padStart(8)).join('')}  (ms)`;

/** One request ready to go on either side: the webhook body, and what the raw client sends for it. */
interface Prepared {
  body: string;
  workflowId: string;
  /** The API's own signalWithStart for it (src/incidents/ingest.ts), made straight to Temporal. */
  start: ReturnType<typeof startOptions>;
}

/**
 * Prepares the raw client's call exactly as the API's ingestGroup makes it for this payload (the same
 * options, from the same function): the same workflow type, ID, input, signal, ID reuse policy and Web UI
 * summary. The raw side's parsing and correlation happen before its clock starts: it is the floor.
 */
function prepare(settings: Settings, payload: AlertmanagerPayload): Prepared {
  const target = correlate(
    payload.commonLabels,
    `${payload.receiver}/${payload.groupKey}`,
    settings.correlationLabels,
  );
  const config = ingestConfigFrom(settings);
  return {
    body: JSON.stringify(payload),
    workflowId: target.incidentId,
    start: startOptions(config, target, alertsFromAlertmanager(payload), 'unless-closed'),
  };
}

function latencyPayload(side: string, index: number, runId: string): AlertmanagerPayload {
  const labels = {
    alertname: 'BenchLatency',
    service: `lat-${side}-${runId}-${index}`,
    namespace: NAMESPACE_LABEL,
    severity: 'warning',
    instance: `host-${index % 50}:9100`,
  };
  const spec = alertSpec(labels, new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString());
  return alertmanagerPayload(
    { alertname: 'BenchLatency', service: labels.service, namespace: NAMESPACE_LABEL },
    [spec],
  );
}

type Side = 'api' | 'raw' | 'http';

interface Sides {
  api: (p: Prepared) => Promise<number>;
  raw: (p: Prepared) => Promise<number>;
  /** The API's own cost: a body the API reads, authenticates and validates in full, then refuses (400). */
  http: (body: string) => Promise<number>;
}

function makeSides(running: Running, settings: Settings, http: WebhookClient, raw: Client): Sides {
  return {
    api: async (p) => {
      running.started.add(p.workflowId);
      const r = await http.post('/api/v1/alertmanager', p.body);
      if (r.status !== 202) throw new Error(`webhook answered ${r.status}: ${r.body.slice(0, 300)}`);
      return r.ms;
    },
    raw: async (p) => {
      running.started.add(p.workflowId);
      const started = performance.now();
      await raw.workflow.signalWithStart<IncidentWorkflow, [Alert[]]>(INCIDENT_WORKFLOW_TYPE, p.start);
      return performance.now() - started;
    },
    http: async (body) => {
      const r = await http.post('/api/v1/alertmanager', body);
      if (r.status !== 400) throw new Error(`the invalid webhook answered ${r.status}, not 400`);
      return r.ms;
    },
  };
}

/** The same body as a real delivery, but a payload version the API refuses only after parsing it all. */
const refusedBody = (body: string): string => body.replace('"version":"4"', '"version":"3"');

interface SequentialResult {
  api: number[];
  raw: number[];
  http: number[];
}

/**
 * Sequential requests, one at a time, rotating which side goes first in each round so that neither side
 * always follows the other (the worker's reaction to the previous request is background load for both).
 */
async function sequential(
  sides: Sides,
  settings: Settings,
  count: number,
  runId: string,
  offset: number,
  abort: AbortSignal,
): Promise<SequentialResult> {
  const out: SequentialResult = { api: [], raw: [], http: [] };
  const orders: Side[][] = [
    ['api', 'raw', 'http'],
    ['raw', 'http', 'api'],
    ['http', 'api', 'raw'],
  ];
  for (let i = 0; i < count; i++) {
    abort.throwIfAborted();
    const api = prepare(settings, latencyPayload('api', offset + i, runId));
    const raw = prepare(settings, latencyPayload('raw', offset + i, runId));
    const http = refusedBody(prepare(settings, latencyPayload('bad', offset + i, runId)).body);
    for (const side of orders[i % orders.length] ?? []) {
      if (side === 'api') out.api.push(await sides.api(api));
      else if (side === 'raw') out.raw.push(await sides.raw(raw));
      else out.http.push(await sides.http(http));
    }
  }
  return out;
}

interface ConcurrentResult {
  api: number[];
  raw: number[];
  apiSeconds: number;
  rawSeconds: number;
  /** CPU seconds of the API replica's process in the API's blocks, and of this process in the raw ones. */
  cpu?: { api: number; raw: number };
}

/** Each side's own process's CPU seconds so far, where each side has a process of its own (--steadfast separate). */
type SideCpu = Record<'api' | 'raw', () => number>;

/** Blocks of requests at a concurrency, alternating sides block by block (and which side opens a round). */
async function concurrent(
  sides: Sides,
  settings: Settings,
  count: number,
  concurrency: number,
  runId: string,
  abort: AbortSignal,
  sideCpu?: SideCpu,
): Promise<ConcurrentResult> {
  const out: ConcurrentResult = {
    api: [],
    raw: [],
    apiSeconds: 0,
    rawSeconds: 0,
    ...(sideCpu ? { cpu: { api: 0, raw: 0 } } : {}),
  };
  // Blocks of about four waves each, and at least two rounds so that each side opens one: what a block
  // leaves behind (the worker still taking the incidents it opened) then falls on both sides. With 400
  // requests at 64 in flight a block used to be all of a side's requests, measured in one stretch.
  const block = Math.ceil(count / Math.max(2, Math.round(count / (concurrency * 4))));
  let done = 0;
  for (let round = 0; done < count; round++) {
    abort.throwIfAborted();
    const size = Math.min(block, count - done);
    const order: ('api' | 'raw')[] = round % 2 === 0 ? ['api', 'raw'] : ['raw', 'api'];
    for (const side of order) {
      const prepared = Array.from({ length: size }, (_, k) =>
        prepare(settings, latencyPayload(`c${side}`, done + k, runId)),
      );
      const started = performance.now();
      const cpuBefore = sideCpu?.[side]();
      const samples = await pool(prepared, concurrency, (p) => sides[side](p));
      const seconds = (performance.now() - started) / 1000;
      if (out.cpu && sideCpu && cpuBefore !== undefined) out.cpu[side] += sideCpu[side]() - cpuBefore;
      out[side].push(...samples);
      if (side === 'api') out.apiSeconds += seconds;
      else out.rawSeconds += seconds;
    }
    done += size;
  }
  return out;
}

interface Delivery {
  group: number;
  alerts: AlertSpec[];
  resend: boolean;
}

interface StormPlan {
  groupLabels: Record<string, string>[];
  /** Every distinct alert of each group, by its dedupe key (fingerprint@startsAt). */
  expected: Set<string>[];
  deliveries: Delivery[];
  alertsDelivered: number;
  alertsResent: number;
}

/**
 * The storm's shape: alerts spread evenly over the groups, each group's alerts delivered in small batches
 * (as successive group_interval notifications bring new alerts), a share of deliveries delivered again,
 * half of those right after the original so both are in flight at once, all groups interleaved.
 */
function planStorm(options: Options, runId: string): StormPlan {
  const random = seededRandom(options.seed);
  const groupLabels: Record<string, string>[] = [];
  const expected: Set<string>[] = [];
  const originals: Delivery[] = [];
  const base = Date.UTC(2026, 0, 1, 6);
  for (let g = 0; g < options.stormGroups; g++) {
    const service = `storm-${runId}-${g}`;
    const labels = { alertname: 'BenchStorm', service, namespace: NAMESPACE_LABEL };
    groupLabels.push(labels);
    const count =
      Math.floor(options.stormAlerts / options.stormGroups) +
      (g < options.stormAlerts % options.stormGroups ? 1 : 0);
    const specs = Array.from({ length: count }, (_, j) =>
      alertSpec(
        { ...labels, severity: j % 5 === 0 ? 'critical' : 'warning', instance: `host-${j}:9100` },
        new Date(base + j * 15_000).toISOString(),
      ),
    );
    expected.push(new Set(specs.map((s) => `${s.fingerprint}@${s.startsAt}`)));
    for (let j = 0; j < specs.length;) {
      const size = 1 + Math.floor(random() * 4);
      originals.push({ group: g, alerts: specs.slice(j, j + size), resend: false });
      j += size;
    }
  }
  shuffle(originals, random);
  const deliveries: Delivery[] = [];
  const later: Delivery[] = [];
  let alertsResent = 0;
  for (const d of originals) {
    deliveries.push(d);
    if (random() >= options.resendShare) continue;
    alertsResent += d.alerts.length;
    const again = { ...d, resend: true };
    if (random() < 0.5) deliveries.push(again);
    else later.push(again);
  }
  for (const d of later) deliveries.splice(Math.floor(random() * (deliveries.length + 1)), 0, d);
  const alertsDelivered = deliveries.reduce((n, d) => n + d.alerts.length, 0);
  return { groupLabels, expected, deliveries, alertsDelivered, alertsResent };
}

interface StormResult {
  seconds: number;
  latencies: number[];
  retries: number;
  failed: number;
  /** Answers naming an incident other than the group's own. */
  misrouted: number;
  groupIds: string[];
}

/** Delivers the storm through the webhook, retrying failures as Alertmanager does (backoff, a few times). */
async function storm(
  plan: StormPlan,
  options: Options,
  settings: Settings,
  http: WebhookClient,
  running: Running,
  abort: AbortSignal,
): Promise<StormResult> {
  const groupIds = plan.groupLabels.map(
    (labels) => correlate(labels, '', settings.correlationLabels).incidentId,
  );
  for (const id of groupIds) running.started.add(id);
  const bodies = plan.deliveries.map((d) =>
    JSON.stringify(alertmanagerPayload(plan.groupLabels[d.group] ?? {}, d.alerts)),
  );
  const result: StormResult = { seconds: 0, latencies: [], retries: 0, failed: 0, misrouted: 0, groupIds };
  const started = performance.now();
  await pool(plan.deliveries, options.stormConcurrency, async (d, index) => {
    const body = bodies[index] ?? '';
    for (let attempt = 0; ; attempt++) {
      abort.throwIfAborted();
      let status = 0;
      try {
        const r = await http.post('/api/v1/alertmanager', body);
        status = r.status;
        if (r.status === 202) {
          result.latencies.push(r.ms);
          const answer = JSON.parse(r.body) as { incidents?: { incidentId?: string }[] };
          if (answer.incidents?.[0]?.incidentId !== groupIds[d.group]) result.misrouted++;
          return;
        }
      } catch {
        // a dropped connection: retried like a 5xx
      }
      if ((status !== 0 && status < 500) || attempt >= 5) {
        result.failed++;
        return;
      }
      result.retries++;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  });
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

interface StormCheck {
  incidentsOpened: number;
  extraIncidents: number;
  alertsHeld: number;
  lost: number;
  duplicatedAlerts: number;
  unexpectedAlerts: number;
  duplicatesDropped: number;
}

/**
 * Counts from Temporal itself: the storm's incident runs in visibility (waiting for it to catch up), and
 * each incident's state through its query, which the worker answers after applying every signal before it.
 */
async function checkStorm(
  plan: StormPlan,
  result: StormResult,
  settings: Settings,
  raw: Client,
  abort: AbortSignal,
): Promise<StormCheck> {
  const runs = await stormRuns(raw, settings.temporal.taskQueue, result.groupIds.length, abort);
  const lastCount = [...runs.values()].reduce((n, r) => n + r.size, 0);
  const expectedIds = new Set(result.groupIds);
  const check: StormCheck = {
    incidentsOpened: lastCount,
    extraIncidents: 0,
    alertsHeld: 0,
    lost: 0,
    duplicatedAlerts: 0,
    unexpectedAlerts: 0,
    duplicatesDropped: 0,
  };
  for (const [id, ids] of runs) {
    check.extraIncidents += ids.size - 1;
    if (!expectedIds.has(id)) check.extraIncidents++;
  }
  const tally = await tallyIncidents(
    raw,
    result.groupIds,
    (g) => plan.expected[g] ?? new Set<string>(),
    settings.auth.identity,
  );
  check.alertsHeld = tally.held;
  check.lost = tally.lost;
  check.duplicatedAlerts = tally.duplicated;
  check.unexpectedAlerts = tally.unexpected;
  check.duplicatesDropped = tally.dropped;
  return check;
}

/**
 * Terminates every workflow the bench may have started: the IDs it sent, plus whatever visibility lists
 * as running on its task queue, again until none is left (visibility lags behind starts).
 */
async function terminateAll(running: Running): Promise<{ terminated: number; leftRunning: number }> {
  const { raw, settings } = running;
  if (!raw || !settings) return { terminated: 0, leftRunning: 0 };
  const query = `TaskQueue = '${settings.temporal.taskQueue}' AND ExecutionStatus = 'Running'`;
  let terminated = 0;
  let leftRunning = 0;
  let ids = new Set(running.started);
  for (let pass = 0; pass < 3; pass++) {
    for await (const info of raw.workflow.list({ query })) ids.add(info.workflowId);
    await pool([...ids], 32, async (id) => {
      try {
        await raw.workflow.getHandle(id).terminate('ingestion benchmark finished');
        terminated++;
      } catch (err) {
        // Never started (a request that failed) or already closed: nothing to stop.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    });
    for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
      leftRunning = (await raw.workflow.count(query)).count;
      if (leftRunning === 0) return { terminated, leftRunning };
      await new Promise((r) => setTimeout(r, 250));
    }
    ids = new Set();
  }
  return { terminated, leftRunning };
}

/** Stops, in reverse order of start, whatever is running; reports what could not be stopped. */
async function stopAll(running: Running): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, stop: (() => Promise<void>) | undefined): Promise<void> => {
    if (!stop) return;
    try {
      await stop();
    } catch (err) {
      problems.push(`${what}: ${describeError(err)}`);
    }
  };
  running.http?.close();
  await attempt('API', running.api?.stop);
  await attempt('worker', running.worker?.stop);
  const raw = running.raw;
  await attempt('raw client', raw ? () => raw.connection.close() : undefined);
  await attempt('Temporal server', running.server?.stop);
  return problems;
}

interface StormPhase {
  options: Options;
  settings: Settings;
  http: WebhookClient;
  running: Running;
  token: string;
  runId: string;
  abort: AbortSignal;
}

/** The JSON report's fields, printed as the last line. */
type Report = Record<string, number | boolean | string>;

interface StormOutcome {
  correct: boolean;
  report: Report;
}

/** Prints where the storm's CPU went (see cpu.ts) and returns the total, in seconds. */
function reportCpu(before: CpuSample, after: CpuSample, alerts: number, deliveries: number): number {
  const cpu = cpuSpent(before, after);
  const total = cpu.reduce((n, r) => n + r.seconds, 0);
  console.log(
    `  CPU for the storm and the workflow tasks it left: ${total.toFixed(1)} s, ` +
      `${((total * 1000) / alerts).toFixed(2)} ms per alert (${((total * 1000) / deliveries).toFixed(2)} ms per delivery):`,
  );
  for (const row of cpu) {
    const share = ((row.seconds / total) * 100).toFixed(0);
    console.log(`    ${row.kind.padEnd(64)} ${row.seconds.toFixed(1).padStart(7)} s ${share.padStart(3)}%`);
  }
  return total;
}

/** The storm as webhook deliveries of 1–4 alerts each, straight to the API (see planStorm). */
async function webhookStormPhase({
  options,
  settings,
  http,
  running,
  runId,
  abort,
}: StormPhase): Promise<StormOutcome> {
  const plan = planStorm(options, runId);
  console.log(
    `\nstorm: ${options.stormAlerts} alerts in ${options.stormGroups} groups, ${plan.deliveries.length} ` +
      `webhook deliveries (${plan.alertsDelivered} alerts, ${plan.alertsResent} of them re-delivered), ` +
      `${options.stormConcurrency} in flight`,
  );
  const cpuBefore = sampleCpu();
  const s = await storm(plan, options, settings, http, running, abort);
  const throughput = options.stormAlerts / s.seconds;
  console.log(
    `  delivered in ${s.seconds.toFixed(2)} s: ${throughput.toFixed(0)} alerts/s, ` +
      `${(plan.deliveries.length / s.seconds).toFixed(0)} deliveries/s; delivery p50 ` +
      `${percentile(s.latencies, 50).toFixed(2)} ms, p99 ${percentile(s.latencies, 99).toFixed(2)} ms; ` +
      `retries ${s.retries}, failed ${s.failed}, misrouted ${s.misrouted}`,
  );
  const cpuTotal = reportCpu(
    cpuBefore,
    await sampleCpuWhenIdle(abort),
    options.stormAlerts,
    plan.deliveries.length,
  );
  if (!running.raw) throw new Error('no Temporal client');
  const check = await checkStorm(plan, s, settings, running.raw, abort);
  const duplicated = check.duplicatedAlerts + check.extraIncidents;
  console.log(
    `  in Temporal: ${check.incidentsOpened} incidents for ${options.stormGroups} groups, ` +
      `${check.alertsHeld} alerts held of ${options.stormAlerts} sent; lost ${check.lost}, ` +
      `duplicated ${duplicated} (alerts held twice ${check.duplicatedAlerts}, extra incidents ` +
      `${check.extraIncidents}), alerts in the wrong incident ${check.unexpectedAlerts}; ` +
      `duplicates dropped by the workflows ${check.duplicatesDropped} (re-delivered ${plan.alertsResent})`,
  );
  const correct =
    check.lost === 0 &&
    duplicated === 0 &&
    check.unexpectedAlerts === 0 &&
    check.incidentsOpened === options.stormGroups &&
    s.failed === 0 &&
    s.misrouted === 0;
  return {
    correct,
    report: {
      throughput_per_s: round(throughput, 1),
      storm_seconds: round(s.seconds, 2),
      storm_groups: options.stormGroups,
      storm_deliveries: plan.deliveries.length,
      storm_deliveries_per_s: round(plan.deliveries.length / s.seconds, 1),
      storm_p50_ms: round(percentile(s.latencies, 50)),
      storm_p99_ms: round(percentile(s.latencies, 99)),
      storm_retries: s.retries,
      storm_cpu_ms_per_alert: round((cpuTotal * 1000) / options.stormAlerts, 3),
      storm_failed: s.failed,
      alerts_sent: options.stormAlerts,
      alerts_delivered: plan.alertsDelivered,
      alerts_redelivered: plan.alertsResent,
      alerts_held: check.alertsHeld,
      incidents_opened: check.incidentsOpened,
      lost: check.lost,
      duplicated,
      misplaced: check.unexpectedAlerts + s.misrouted,
      duplicates_dropped: check.duplicatesDropped,
    },
  };
}

/**
 * The storm through Debian's Alertmanager (see am-storm.ts): throughput is every alert fired until the
 * last reached its incident; the check holds each incident to the alerts its accepted notifications
 * carried, and requires every alert fired to have arrived.
 */
async function alertmanagerStormPhase(phase: StormPhase): Promise<StormOutcome> {
  const { options, settings, running, abort } = phase;
  const apiUrl = running.api?.server.url;
  if (!apiUrl || !running.raw) throw new Error('the API and the Temporal client must be running');
  console.log(
    `\nstorm through Alertmanager: ${options.stormAlerts} alerts in ${options.stormGroups} groups, ` +
      `fired in batches of 500, group_interval ${options.groupInterval} s`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-bench-am-'));
  const cpuBefore = sampleCpu();
  const s = await alertmanagerStorm({
    apiUrl,
    token: phase.token,
    dir,
    alerts: options.stormAlerts,
    groups: options.stormGroups,
    batch: 500,
    groupIntervalSeconds: options.groupInterval,
    runId: phase.runId,
    abort,
  });
  // Its re-deliveries would go on for as long as the alerts fire: stopped before the count.
  await s.alertmanager.close();
  rmSync(dir, { recursive: true, force: true });
  const throughput = options.stormAlerts / s.seconds;
  console.log(
    `  every alert reached its incident in ${s.seconds.toFixed(2)} s: ${throughput.toFixed(0)} alerts/s; ` +
      `${s.notifications} notifications carried ${s.alertsNotified} alerts; refused ${s.refused}`,
  );
  const cpuTotal = reportCpu(cpuBefore, await sampleCpuWhenIdle(abort), options.stormAlerts, s.notifications);
  const groupIds = Array.from(
    { length: options.stormGroups },
    (_, g) =>
      correlate(
        { alertname: 'BenchStorm', service: stormService(phase.runId, g), namespace: NAMESPACE_LABEL },
        '',
        settings.correlationLabels,
      ).incidentId,
  );
  for (const id of groupIds) running.started.add(id);
  const runs = await stormRuns(running.raw, settings.temporal.taskQueue, groupIds.length, abort);
  const opened = [...runs.values()].reduce((n, r) => n + r.size, 0);
  const counted = await tallyIncidents(
    running.raw,
    groupIds,
    (g) => s.accepted[g] ?? new Set<string>(),
    settings.auth.identity,
  );
  const tally = { ...counted, duplicated: counted.duplicated + opened - runs.size };
  console.log(
    `  in Temporal: ${opened} incidents for ${options.stormGroups} groups, ${tally.held} alerts held of ` +
      `${options.stormAlerts} fired; lost ${tally.lost}, duplicated ${tally.duplicated}, in the wrong incident ` +
      `${tally.unexpected}; re-delivered alerts dropped by the workflows ${tally.dropped}`,
  );
  return {
    correct:
      tally.held === options.stormAlerts &&
      tally.lost === 0 &&
      tally.duplicated === 0 &&
      tally.unexpected === 0 &&
      opened === options.stormGroups,
    report: {
      storm_via: 'alertmanager',
      throughput_per_s: round(throughput, 1),
      storm_seconds: round(s.seconds, 2),
      storm_groups: options.stormGroups,
      storm_deliveries: s.notifications,
      storm_cpu_ms_per_alert: round((cpuTotal * 1000) / options.stormAlerts, 3),
      storm_failed: s.refused,
      alerts_sent: options.stormAlerts,
      alerts_delivered: s.alertsNotified,
      alerts_held: tally.held,
      incidents_opened: opened,
      lost: tally.lost,
      duplicated: tally.duplicated,
      misplaced: tally.unexpected,
      duplicates_dropped: tally.dropped,
    },
  };
}

const SHAPE_TEXT: Record<SteadfastShape, string> = {
  'in-process': 'worker and API in the bench process',
  separate: 'an API replica and a worker, each its own process',
  'npm-start': 'worker and API in one process of their own, as npm start runs them',
};

/**
 * Starts the worker and the API in the shape asked for (see --steadfast) and answers the API's URL. In
 * this process they share an event loop with the bench's HTTP client, which a deployed API never does;
 * as processes they run as an operator runs them, configured only through their environment.
 */
async function startSteadfast(
  shape: SteadfastShape,
  env: Record<string, string>,
  settings: Settings,
  running: Running,
): Promise<string> {
  if (shape === 'in-process') {
    const logger = benchLogger();
    installTemporalLogging(logger);
    const metrics = createMetrics();
    running.worker = await startWorker(settings, logger, metrics);
    const api = await startApi(settings, logger, metrics);
    running.api = api;
    running.recognised = async () => (await metrics.alertsAlreadyDelivered.get()).values[0]?.value ?? 0;
    return api.server.url;
  }
  // startProduct needs their info-level lines to see them ready; the worker serves no metrics of its own.
  const processEnv = { ...env, STEADFAST_LOG_LEVEL: 'info', STEADFAST_API_PORT: String(await freePort()) };
  if (shape === 'separate') {
    const worker = await startProduct('worker.ts', { ...processEnv, STEADFAST_WORKER_METRICS_PORT: '0' });
    running.worker = worker;
  }
  const role = shape === 'separate' ? 'api' : 'all';
  const api = await startProduct('src/main.ts', { ...processEnv, STEADFAST_ROLE: role });
  if (shape === 'separate') running.apiPid = api.pid;
  const url = `http://127.0.0.1:${processEnv.STEADFAST_API_PORT}`;
  running.api = { stop: api.stop, server: { url } };
  running.recognised = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('steadfast_alerts_already_delivered_total'));
    return Number(line?.split(' ')[1] ?? 0);
  };
  return url;
}

/**
 * The shape --steadfast separate claims: the task queue's workflow pollers are the worker's, none the API
 * replica's (STEADFAST_ROLE=api). An SDK worker's identity is `<pid>@<host>`.
 */
async function checkApiOnly(
  client: Client,
  settings: Settings,
  apiPid: number,
): Promise<{ api_replica_polls: boolean; worker_pollers: number }> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: settings.temporal.namespace,
    taskQueue: { name: settings.temporal.taskQueue },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const identities = pollers.map((p) => p.identity ?? '');
  const apiPolls = identities.some((id) => id.startsWith(`${apiPid}@`));
  if (apiPolls)
    throw new Error(
      `the API replica (STEADFAST_ROLE=api) polls for workflow tasks: ${identities.join(', ')}`,
    );
  console.log(`task queue pollers: ${identities.join(', ')} (none is the API replica, process ${apiPid})`);
  return { api_replica_polls: apiPolls, worker_pollers: identities.length };
}

/** Logs go to stderr, so stdout holds the report alone and its last line stays the JSON object. */
function benchLogger(): Logger {
  return pino({ level: 'warn', base: { app: 'steadfast-bench' } }, destination(2));
}

/** What the phases share once Temporal, the worker and the API are up. */
interface Booted {
  settings: Settings;
  http: WebhookClient;
  raw: Client;
  token: string;
}

/** Starts Temporal, the worker and the API on loopback (recorded in `running`, so cleanup finds them). */
async function boot(options: Options, running: Running, report: Report, runId: string): Promise<Booted> {
  const bootStarted = performance.now();
  running.server = await benchTemporal(options.temporal, ALL_SEARCH_ATTRIBUTES);
  report.temporal = running.server.label;
  const token = randomUUID();
  const env = {
    TEMPORAL_ADDRESS: running.server.address,
    TEMPORAL_TASK_QUEUE: `bench-ingest-${runId}`,
    STEADFAST_API_HOST: '127.0.0.1',
    STEADFAST_API_PORT: '0',
    STEADFAST_API_TOKEN: token,
    STEADFAST_API_IDENTITY: 'bench',
    // One sender opening incidents as fast as it can is what this measures, not what a limit refuses.
    STEADFAST_MAX_NEW_INCIDENTS_PER_MINUTE: '0',
    STEADFAST_DEBOUNCE: DEBOUNCE,
    STEADFAST_RUNBOOKS_DIR: resolve(import.meta.dirname, '..', 'runbooks'),
    STEADFAST_LOG_LEVEL: 'warn',
    // The worker's cache is the one product setting the storm is sensitive to: it may be measured at others.
    ...(process.env.STEADFAST_WORKFLOW_CACHE_SIZE
      ? { STEADFAST_WORKFLOW_CACHE_SIZE: process.env.STEADFAST_WORKFLOW_CACHE_SIZE }
      : {}),
  };
  const settings = loadSettings(env);
  running.settings = settings;
  const apiUrl = await startSteadfast(options.steadfast, env, settings, running);
  report.steadfast = options.steadfast;
  const raw = new Client({
    connection: await Connection.connect({ address: settings.temporal.address }),
    namespace: settings.temporal.namespace,
  });
  running.raw = raw;
  const http = new WebhookClient(apiUrl, token, Math.max(options.concurrency, options.stormConcurrency));
  running.http = http;
  console.log(
    `${running.server.label}, worker on task queue ` +
      `${settings.temporal.taskQueue}, API ${apiUrl} (${SHAPE_TEXT[options.steadfast]}); up in ` +
      `${((performance.now() - bootStarted) / 1000).toFixed(1)} s`,
  );
  console.log(`incidents debounce ${DEBOUNCE}: they stay in collect, so only ingestion is measured`);
  return { settings, http, raw, token };
}

/** Latency one request at a time, the API's webhook against the raw client, interleaved. */
async function sequentialPhase(
  options: Options,
  sides: Sides,
  settings: Settings,
  runId: string,
  signal: AbortSignal,
): Promise<Report> {
  const seq = await sequential(sides, settings, options.requests, runId, 0, signal);
  const api = summarize(seq.api);
  const raw = summarize(seq.raw);
  const own = summarize(seq.http);
  const ratio = api.p99 / raw.p99;
  console.log(`\nlatency, one request at a time, ${options.requests} per side, interleaved:`);
  console.log(LATENCY_HEADER);
  console.log(latencyLine('API webhook → 202', api));
  console.log(latencyLine('raw client signalWithStart', raw));
  console.log(latencyLine('API alone (same body refused, 400)', own));
  console.log(
    `  p99 API/raw ${ratio.toFixed(3)} (goal ≤ ${P99_GOAL_RATIO}: ${ratio <= P99_GOAL_RATIO ? 'met' : 'NOT met'}); ` +
      `p50 API/raw ${(api.p50 / raw.p50).toFixed(3)}; API over raw at p50 +${(api.p50 - raw.p50).toFixed(2)} ms`,
  );
  return {
    requests: options.requests,
    p50_ms: round(api.p50),
    p90_ms: round(api.p90),
    p99_ms: round(api.p99),
    raw_p50_ms: round(raw.p50),
    raw_p90_ms: round(raw.p90),
    raw_p99_ms: round(raw.p99),
    p99_ratio: round(ratio, 3),
    p50_ratio: round(api.p50 / raw.p50, 3),
    p99_goal_ratio: P99_GOAL_RATIO,
    p99_goal_met: ratio <= P99_GOAL_RATIO,
    api_alone_p50_ms: round(own.p50),
    api_alone_p99_ms: round(own.p99),
  };
}

/** Latency and throughput with `--concurrency` requests in flight, and each side's CPU per request. */
async function concurrentPhase(
  options: Options,
  sides: Sides,
  settings: Settings,
  running: Running,
  runId: string,
  signal: AbortSignal,
): Promise<Report> {
  const apiPid = running.apiPid;
  const sideCpu: SideCpu | undefined = apiPid
    ? { api: () => processCpuSeconds(apiPid), raw: () => processCpuSeconds(process.pid) }
    : undefined;
  const c = await concurrent(sides, settings, options.requests, options.concurrency, runId, signal, sideCpu);
  const capi = summarize(c.api);
  const craw = summarize(c.raw);
  const apiRate = c.api.length / c.apiSeconds;
  const rawRate = c.raw.length / c.rawSeconds;
  console.log(
    `\nlatency, ${options.concurrency} in flight, ${options.requests} per side, alternating blocks:`,
  );
  console.log(LATENCY_HEADER);
  console.log(latencyLine('API webhook → 202', capi));
  console.log(latencyLine('raw client signalWithStart', craw));
  console.log(
    `  p99 API/raw ${(capi.p99 / craw.p99).toFixed(3)}; throughput API ${apiRate.toFixed(0)}/s, ` +
      `raw ${rawRate.toFixed(0)}/s (${((apiRate / rawRate) * 100).toFixed(0)}% of raw)`,
  );
  const report: Report = {
    concurrency: options.concurrency,
    concurrent_p50_ms: round(capi.p50),
    concurrent_p99_ms: round(capi.p99),
    concurrent_raw_p50_ms: round(craw.p50),
    concurrent_raw_p99_ms: round(craw.p99),
    concurrent_p99_ratio: round(capi.p99 / craw.p99, 3),
    concurrent_requests_per_s: round(apiRate, 1),
    concurrent_raw_requests_per_s: round(rawRate, 1),
  };
  if (c.cpu) {
    // What each side costs its own process per request: on a saturated machine, the server's share.
    const apiMs = (c.cpu.api * 1000) / c.api.length;
    const rawMs = (c.cpu.raw * 1000) / c.raw.length;
    console.log(
      `  CPU per request: the API replica's process ${apiMs.toFixed(2)} ms, ` +
        `the raw client's (this process) ${rawMs.toFixed(2)} ms`,
    );
    Object.assign(report, { api_cpu_ms_per_request: round(apiMs), raw_cpu_ms_per_request: round(rawMs) });
  }
  return report;
}

/** Terminates every workflow the run may have started and stops what it started; says how it went. */
async function cleanUp(running: Running, report: Report): Promise<void> {
  // Requests re-sent after the keep-alive race (see WebhookClient): counted, so none hides.
  if (running.http) report['http_reconnects'] = running.http.reconnects;
  let cleanup = '';
  try {
    const { terminated, leftRunning } = await terminateAll(running);
    report['workflows_terminated'] = terminated;
    report['workflows_left_running'] = leftRunning;
    cleanup = `terminated ${terminated} workflows (${leftRunning} left running)`;
  } catch (err) {
    cleanup = `could not terminate the workflows: ${describeError(err)}`;
  }
  const problems = await stopAll(running);
  cleanup += problems.length === 0 ? '; worker, API and Temporal server stopped' : `; ${problems.join('; ')}`;
  console.log(`\ncleanup: ${cleanup}`);
}

/** Every phase in turn; whether the storm was held correctly. */
async function runPhases(
  options: Options,
  running: Running,
  report: Report,
  runId: string,
  signal: AbortSignal,
): Promise<boolean> {
  const { settings, http, raw, token } = await boot(options, running, report, runId);
  const sides = makeSides(running, settings, http, raw);
  if (options.warmup > 0) {
    await sequential(sides, settings, options.warmup, runId, 1_000_000, signal);
    console.log(`warm-up: ${options.warmup} requests per side, not measured`);
  }
  if (running.apiPid) Object.assign(report, await checkApiOnly(raw, settings, running.apiPid));
  Object.assign(report, await sequentialPhase(options, sides, settings, runId, signal));
  if (options.concurrency > 1)
    Object.assign(report, await concurrentPhase(options, sides, settings, running, runId, signal));
  const phase = options.stormVia === 'alertmanager' ? alertmanagerStormPhase : webhookStormPhase;
  const outcome = await phase({ options, settings, http, running, token, runId, abort: signal });
  Object.assign(report, outcome.report);
  // Re-sent alerts the API knew it had just delivered (src/incidents/recent-deliveries.ts): never sent again.
  const recognised = (await running.recognised?.()) ?? 0;
  report['recognised_by_api'] = recognised;
  console.log(`  re-sent alerts the API recognised as delivered and did not send again: ${recognised}`);
  return outcome.correct;
}

export async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const runId = randomBytes(3).toString('hex');
  const running: Running = { started: new Set() };
  const report: Report = {};
  let failure: Error | undefined;
  let correct = false;
  try {
    correct = await runPhases(options, running, report, runId, abort.signal);
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await cleanUp(running, report);
  }
  if (failure !== undefined) {
    console.error(failure.stack ?? failure.message);
    report['error'] = describeError(failure);
  }
  console.log(JSON.stringify(report));
  return failure !== undefined ? 2 : correct ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // A handle left open by a library must not keep a finished bench alive.
      setTimeout(() => process.exit(code), 5000).unref();
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      console.error('Run with --help for usage.');
      process.exitCode = 2;
    },
  );
}
