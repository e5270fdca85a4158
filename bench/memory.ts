/**
 * `npm run bench:memory`: what an open incident costs in memory. Starts a Temporal server (as
 * bench:ingest does), then Steadfast as an operator runs it (`src/main.ts`, the API and a worker in one
 * process, configured through its environment), and measures that process's resident memory (RSS) idle,
 * then with N incidents waiting for approval. Everything it starts is stopped at the end, also on a
 * failure or Ctrl-C. The last line is one JSON object.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes.js';
import { freePort } from './lib/dev-server.js';
import { rssMb, startProduct, type ProductProcess } from './lib/product.js';
import { percentile, pool, round } from './lib/stats.js';
import { intFlag, runWhenMain, SERVER_BENCH_FLAGS } from './lib/cli.js';
import { benchTemporal, temporalChoice, type BenchTemporal } from './lib/temporal.js';
import { alertmanagerPayload, alertSpec, WebhookClient } from './lib/webhook.js';

const USAGE = `Usage: npm run bench:memory -- [options]

Starts a Temporal dev server (or see --cluster and --temporal) and Steadfast as npm start runs it
(src/main.ts: the API and a worker in one process), then reports that process's resident memory idle and
with incidents waiting for approval, and the cost of one open incident. Stops everything at the end. The
last line is one JSON object with the figures.

Options:
  --incidents <n>      incidents opened and left waiting for approval, default 1000
  --concurrency <c>    webhook deliveries in flight while opening them, default 16
  --settle <s>         seconds to wait before each measurement, default 20
  --temporal <address> measure on this Temporal server (host:port) instead of a dev server of its own
  --cluster            measure on a Temporal cluster it starts (as npm run cluster runs it)
  --quick              a smoke run for tests: 20 incidents, 2 s to settle
  --help               this text

Environment: STEADFAST_TEMPORAL_CLI names the Temporal CLI binary (otherwise found or built as npm start
does). Settings the product reads (e.g. STEADFAST_WORKFLOW_CACHE_SIZE) pass through to it.`;

/** The goals from issue 15: per open incident, and for the idle process. */
const GOAL_KB_PER_INCIDENT = 512;
const GOAL_IDLE_MB = 250;

interface Options {
  incidents: number;
  concurrency: number;
  settleMs: number;
  temporal: Parameters<typeof benchTemporal>[0];
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      incidents: { type: 'string' },
      concurrency: { type: 'string' },
      settle: { type: 'string' },
      ...SERVER_BENCH_FLAGS,
    },
    strict: true,
  });
  if (values.help) return 'help';
  return {
    incidents: intFlag('incidents', values.incidents, values.quick ? 20 : 1000, 1),
    concurrency: intFlag('concurrency', values.concurrency, 16, 1),
    settleMs: 1000 * intFlag('settle', values.settle, values.quick ? 2 : 20, 0),
    temporal: temporalChoice(values.temporal, values.cluster),
  };
}

/** A runbook that always waits for a person, for an alert no other runbook matches. */
const RUNBOOK = `title: Memory bench, waits for a person
match: { alertnames: [MemoryBench] }
risk: medium
approvers: [bench]
approval: { timeout: 1h, finalPolicy: abort }
steps:
  - { action: wait, duration: 1s }
`;

/** After `settleMs`, the median of five samples a second apart (a sample can catch a collection). */
async function measure(pid: number, settleMs: number): Promise<number> {
  await new Promise((r) => setTimeout(r, settleMs));
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssMb(pid));
    await new Promise((r) => setTimeout(r, 1000));
  }
  return percentile(samples, 50);
}

/**
 * Where the resident memory is, from the process's own /metrics (prom-client's default metrics): the
 * JavaScript heap in use and reserved, and memory outside it (buffers, the SDK's native core).
 */
async function heapLine(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const mb = (name: string): string => {
    const line = text.split('\n').find((l) => l.startsWith(`steadfast_${name} `));
    return line ? (Number(line.slice(line.lastIndexOf(' ') + 1)) / 2 ** 20).toFixed(0) : '?';
  };
  return `heap used ${mb('nodejs_heap_size_used_bytes')} MB of ${mb('nodejs_heap_size_total_bytes')} MB, external ${mb('nodejs_external_memory_bytes')} MB`;
}

/** Opens one incident per alert through the webhook, then waits until every one waits for approval. */
async function openIncidents(
  options: Options,
  http: WebhookClient,
  client: Client,
  run: string,
): Promise<number> {
  const startsAt = new Date().toISOString();
  const services = Array.from({ length: options.incidents }, (_, i) => `mem-${run}-${i}`);
  await pool(services, options.concurrency, async (service) => {
    const alert = alertSpec({ alertname: 'MemoryBench', service, severity: 'warning' }, startsAt);
    const body = JSON.stringify(alertmanagerPayload({ alertname: 'MemoryBench', service }, [alert]));
    const answer = await http.post('/api/v1/alertmanager', body);
    if (answer.status !== 202) throw new Error(`the webhook answered ${answer.status}: ${answer.body}`);
  });
  const query = `IncidentAlertName = 'MemoryBench' AND IncidentStage = 'approve' AND ExecutionStatus = 'Running'`;
  // Fails only when no incident reached approval for two minutes: a busy machine is slow, not wrong.
  for (let seen = -1, progressAt = Date.now(); ;) {
    const waiting = (await client.workflow.count(query)).count;
    if (waiting >= options.incidents) return waiting;
    if (waiting > seen) [seen, progressAt] = [waiting, Date.now()];
    if (Date.now() - progressAt > 120_000)
      throw new Error(`only ${waiting} of ${options.incidents} incidents reached approval`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function terminateAll(client: Client): Promise<number> {
  const ids: string[] = [];
  for await (const w of client.workflow.list({ query: `ExecutionStatus = 'Running'` }))
    ids.push(w.workflowId);
  await pool(ids, 32, (id) =>
    client.workflow
      .getHandle(id)
      .terminate('memory benchmark finished')
      .catch(() => undefined),
  );
  return ids.length;
}

export async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const run = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-bench-memory-'));
  let server: BenchTemporal | undefined;
  let product: ProductProcess | undefined;
  let client: Client | undefined;
  const http = { current: undefined as WebhookClient | undefined };
  const stop = (): void => void product?.child.kill('SIGTERM');
  process.once('SIGINT', stop);
  try {
    server = await benchTemporal(options.temporal, ALL_SEARCH_ATTRIBUTES);
    mkdirSync(join(dir, 'runbooks'));
    writeFileSync(join(dir, 'runbooks', 'memory.yaml'), RUNBOOK);
    const token = randomUUID();
    const port = await freePort();
    product = await startProduct('src/main.ts', {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: `bench-memory-${run}`,
      STEADFAST_API_PORT: String(port),
      STEADFAST_API_TOKEN: token,
      STEADFAST_API_IDENTITY: 'bench',
      // A thousand incidents from one sender within a minute is the load measured, not one to refuse.
      STEADFAST_MAX_NEW_INCIDENTS_PER_MINUTE: '0',
      STEADFAST_DEBOUNCE: '100ms',
      STEADFAST_RUNBOOKS_DIR: join(dir, 'runbooks'),
      STEADFAST_REPORTS_DIR: join(dir, 'reports'),
    });
    const { pid } = product;
    const url = `http://127.0.0.1:${port}`;
    console.log(
      `${server.label}; Steadfast (src/main.ts compiled, as npm start runs it) pid ${pid} at ${url}`,
    );
    const idle = await measure(pid, options.settleMs);
    console.log(`idle: ${idle.toFixed(1)} MB RSS; ${await heapLine(url)}`);
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    http.current = new WebhookClient(url, token, options.concurrency);
    const opened = performance.now();
    const waiting = await openIncidents(options, http.current, client, run);
    const openSeconds = (performance.now() - opened) / 1000;
    const open = await measure(pid, options.settleMs);
    const perIncidentKb = ((open - idle) * 1024) / waiting;
    console.log(
      `${waiting} incidents waiting for approval (opened in ${openSeconds.toFixed(1)} s): ${open.toFixed(1)} MB RSS; ${await heapLine(url)}`,
    );
    console.log(
      `per open incident: ${perIncidentKb.toFixed(0)} KB (goal ≤ ${GOAL_KB_PER_INCIDENT}); idle ${idle.toFixed(0)} MB (goal < ${GOAL_IDLE_MB})`,
    );
    const terminated = await terminateAll(client);
    console.log(
      JSON.stringify({
        temporal: server.label,
        incidents: waiting,
        idleMb: round(idle, 1),
        openMb: round(open, 1),
        perIncidentKb: round(perIncidentKb, 0),
        idleGoalMet: idle < GOAL_IDLE_MB,
        perIncidentGoalMet: perIncidentKb <= GOAL_KB_PER_INCIDENT,
        terminated,
      }),
    );
    return 0;
  } finally {
    http.current?.close();
    await client?.connection.close();
    await product?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runWhenMain(import.meta.url, main);
