/**
 * `npm run bench:guard`: how many decisions per second the remediation guard takes, with two workers
 * (`worker.ts` processes) on its task queue, and whether its limits hold under that load. The bench's
 * own client asks as the activities do (update-with-start on the guard workflow). The last line is one
 * JSON object.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type GrpcRetryOptions,
} from '@temporalio/client';
import type { ReserveRequest, ReserveResult } from '../src/guards/policy.js';
import { guardClient } from '../src/incidents/guard.js';
import { guardWorkflowId } from '../src/workflows/guard.js';
import { ALL_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes.js';
import { startProduct, type ProductProcess } from './lib/product.js';
import { pool, round, seededRandom, shuffle, summarize } from './lib/stats.js';
import { intFlag, runWhenMain, SERVER_BENCH_FLAGS } from './lib/cli.js';
import { benchTemporal, temporalChoice, type BenchTemporal } from './lib/temporal.js';

const USAGE = `Usage: npm run bench:guard -- [options]

Starts a Temporal dev server (or see --cluster and --temporal) and two Steadfast workers (worker.ts) on
one task queue, then sends the remediation guard reservation requests from many incidents at once, for
a set of targets, a tenth of them sent again as a retried activity would. Reports decisions per second
and latency, and checks that no target got more actions than the policy allows and that every retry got
its first answer. Stops everything at the end. The last line is one JSON object.

Options:
  --requests <n>       reservation requests, default 2000
  --targets <n>        distinct targets they ask for, default 100
  --concurrency <c>    requests in flight, default 16
  --max-per-target <n> the policy's maxActionsPerTarget, default 3
  --temporal <address> measure on this Temporal server (host:port) instead of a dev server of its own
  --cluster            measure on a Temporal cluster it starts (as npm run cluster runs it)
  --quick              a smoke run for tests: 100 requests for 10 targets
  --help               this text`;

interface Options {
  requests: number;
  targets: number;
  concurrency: number;
  maxPerTarget: number;
  temporal: Parameters<typeof benchTemporal>[0];
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: 'string' },
      targets: { type: 'string' },
      concurrency: { type: 'string' },
      'max-per-target': { type: 'string' },
      ...SERVER_BENCH_FLAGS,
    },
    strict: true,
  });
  if (values.help) return 'help';
  return {
    requests: intFlag('requests', values.requests, values.quick ? 100 : 2000, 1),
    targets: intFlag('targets', values.targets, values.quick ? 10 : 100, 1),
    concurrency: intFlag('concurrency', values.concurrency, 16, 1),
    maxPerTarget: intFlag('max-per-target', values['max-per-target'], 3, 1),
    temporal: temporalChoice(values.temporal, values.cluster),
  };
}

/** Each request from its own incident step; a tenth repeat an earlier one (same step key), as a retry. */
function planRequests(options: Options, run: string): ReserveRequest[] {
  const policy = { cooldownMs: 0, windowMs: 3_600_000, maxActionsPerTarget: options.maxPerTarget };
  const random = seededRandom(1);
  const firsts = Array.from({ length: options.requests }, (_, i) => ({
    target: `bench-target-${run}-${i % options.targets}`,
    action: 'docker.restart',
    incidentId: `bench-incident-${run}-${i}`,
    stepKey: `bench-incident-${run}-${i}/round-0/step-0`,
    policy,
  }));
  const retries = firsts.filter(() => random() < 0.1);
  return shuffle([...firsts, ...retries], random);
}

interface Checked {
  overGranted: number;
  retriesChanged: number;
  granted: number;
}

/** Grants per target within the policy, and a retried step answered as it was the first time. */
function check(requests: ReserveRequest[], answers: ReserveResult[], maxPerTarget: number): Checked {
  const firstAnswer = new Map<string, boolean>();
  const grantedSteps = new Map<string, Set<string>>();
  let retriesChanged = 0;
  requests.forEach((request, i) => {
    const granted = answers[i]?.granted ?? false;
    const before = firstAnswer.get(request.stepKey);
    if (before === undefined) firstAnswer.set(request.stepKey, granted);
    else if (before !== granted) retriesChanged++;
    if (granted) {
      const steps = grantedSteps.get(request.target) ?? new Set<string>();
      grantedSteps.set(request.target, steps.add(request.stepKey));
    }
  });
  const counts = [...grantedSteps.values()].map((s) => s.size);
  return {
    overGranted: counts.filter((n) => n > maxPerTarget).length,
    retriesChanged,
    granted: counts.reduce((a, b) => a + b, 0),
  };
}

/**
 * The client's own gRPC retries (the SDK retries a refused call before the caller sees an error): the
 * bench keeps the SDK's default policy and counts each refusal it retried, by status and message, and
 * the time it slept before asking again.
 */
interface Refusals {
  byReason: Map<string, number>;
  sleptMs: number;
}

function countingRetries(refusals: Refusals): GrpcRetryOptions {
  const base = defaultGrpcRetryOptions();
  return {
    retryableDecider: (attempt, status) => base.retryableDecider(attempt, status),
    delayFunction: (attempt, status) => {
      const reason = `${status.code} ${status.details.replace(/[0-9a-f-]{36}/g, '<id>').slice(0, 80)}`;
      refusals.byReason.set(reason, (refusals.byReason.get(reason) ?? 0) + 1);
      const ms = base.delayFunction(attempt, status);
      refusals.sleptMs += ms;
      return ms;
    },
  };
}

async function measure(
  options: Options,
  clients: Client[],
  taskQueue: string,
  run: string,
  refusals: Refusals,
): Promise<number> {
  const resent = { aborted: 0, busy: 0, gaveUp: 0 };
  // The guard's client asks again itself after a refusal that changed nothing (src/guards/ask-again.ts):
  // an update the server aborts (the guard rolling over to a new run while it is in flight), or refuses
  // because the workflow already has its limit of updates in flight (history.maxInFlightUpdates).
  const onAskAgain = (err: unknown): void => {
    const message = err instanceof Error ? err.message : '';
    if (message.includes('in-flight updates')) resent.busy++;
    else resent.aborted++;
  };
  // One client per worker process, as each worker's activities share theirs (and batch together).
  const guards = clients.map((client) => guardClient(client, taskQueue, { onAskAgain }));
  const requests = planRequests(options, run);
  // Untimed: the guard's start, and the workers' first workflow task, are not what is measured.
  const [first] = requests;
  if (first)
    await guards[0]?.reserve({ ...first, target: `bench-warm-up-${run}`, stepKey: `bench-warm-up-${run}` });
  const latencies: number[] = [];
  const started = performance.now();
  // Past the client's own budget the activity's retry asks again, with the same step key.
  const reserve = async (request: ReserveRequest, n: number, tries = 1): Promise<ReserveResult> => {
    try {
      return await (guards[n % guards.length] as (typeof guards)[number]).reserve(request);
    } catch (err) {
      if (tries >= 5) throw err;
      resent.gaveUp++;
      await new Promise((r) => setTimeout(r, 1_000 * tries));
      return reserve(request, n, tries + 1);
    }
  };
  const slow: string[] = [];
  let sent = 0;
  const answers = await pool(requests, options.concurrency, async (request) => {
    const at = performance.now();
    const answer = await reserve(request, sent++);
    const ms = performance.now() - at;
    latencies.push(ms);
    if (ms > 5_000) slow.push(`${((at - started) / 1000).toFixed(1)}s+${(ms / 1000).toFixed(1)}s`);
    return answer;
  });
  const seconds = (performance.now() - started) / 1000;
  const rate = requests.length / seconds;
  const s = summarize(latencies);
  const checked = check(requests, answers, options.maxPerTarget);
  const expected = Math.min(options.targets, options.requests) * options.maxPerTarget;
  console.log(
    `${requests.length} decisions in ${seconds.toFixed(1)} s: ${rate.toFixed(1)}/s; ` +
      `latency p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms`,
  );
  console.log(
    `granted ${checked.granted} (at most ${expected}); targets over the limit ${checked.overGranted}; ` +
      `retries answered differently ${checked.retriesChanged}; asked again: ${resent.aborted} aborted by a rollover, ${resent.busy} over the in-flight limit, ` +
      `${resent.gaveUp} by the activity's retry`,
  );
  console.log(
    `the client's own retries: ${[...refusals.byReason].map(([r, n]) => `${n}× ${r}`).join('; ') || 'none'}; ` +
      `slept ${(refusals.sleptMs / 1000).toFixed(1)} s in all`,
  );
  console.log(`slower than 5 s (started at + took): ${slow.join(', ') || 'none'}`);
  const ok = checked.overGranted === 0 && checked.retriesChanged === 0 && checked.granted <= expected;
  console.log(
    JSON.stringify({
      decisions: requests.length,
      decisionsPerSecond: round(rate, 1),
      p50Ms: round(s.p50, 1),
      p99Ms: round(s.p99, 1),
      granted: checked.granted,
      overGranted: checked.overGranted,
      retriesChanged: checked.retriesChanged,
      resentAborted: resent.aborted,
      resentOverInFlightLimit: resent.busy,
      resentByActivityRetry: resent.gaveUp,
      correct: ok,
    }),
  );
  return ok ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const run = randomBytes(3).toString('hex');
  const taskQueue = `bench-guard-${run}`;
  let server: BenchTemporal | undefined;
  const workers: ProductProcess[] = [];
  const clients: Client[] = [];
  try {
    server = await benchTemporal(options.temporal, ALL_SEARCH_ATTRIBUTES);
    const env = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      STEADFAST_RUNBOOKS_DIR: resolve(import.meta.dirname, '..', 'runbooks'),
      STEADFAST_WORKER_METRICS_PORT: '0',
    };
    workers.push(...(await Promise.all([startProduct('worker.ts', env), startProduct('worker.ts', env)])));
    console.log(
      `${server.label}; two workers (pids ${workers.map((w) => w.pid).join(', ')}) on ${taskQueue}`,
    );
    const refusals: Refusals = { byReason: new Map(), sleptMs: 0 };
    const interceptors = [makeGrpcRetryInterceptor(countingRetries(refusals))];
    for (const address of workers.map(() => server?.address)) {
      clients.push(new Client({ connection: await Connection.connect({ address, interceptors }) }));
    }
    const code = await measure(options, clients, taskQueue, run, refusals);
    await clients[0]?.workflow.getHandle(guardWorkflowId(taskQueue)).terminate('guard benchmark finished');
    return code;
  } finally {
    await Promise.all(clients.map((c) => c.connection.close()));
    await Promise.all(workers.map((w) => w.stop()));
    await server?.stop();
  }
}

runWhenMain(import.meta.url, main);
