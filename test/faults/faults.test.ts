import { readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPostgres, startService, type Child } from '../../scripts/lib/cluster.mjs';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { testDocker } from '../support/docker.js';
import { freePort, startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { atStage, waitForState } from '../support/scenario.js';
import { approveUpdate } from '../../src/workflows/messages.js';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings } from '../../src/config/settings.js';
import { testApp } from '../support/api-harness.js';
import { startCountedContainer, type CountedContainer } from './support/container.js';
import {
  mostAttempts,
  outcomeOf,
  retriedAfter,
  postAlert,
  scheduledCount,
  sendIncident,
  opened,
  workerRunningAction,
} from './support/incidents.js';
import { startCuttableLink, type CuttableLink } from './support/proxy.js';
import { startCountingTarget, type CountingTarget } from './support/target.js';
import { startReplicaProcess, startWorkerProcess, type WorkerProcess } from './support/worker-process.js';
import { startBalancer } from './support/balancer.js';
import { startAlertmanager } from '../support/alertmanager.js';
import { correlate } from '../../src/domain/correlation.js';
import type { IncidentState } from '../../src/domain/incident.js';
import type { incidentWorkflow } from '../../src/workflows/incident.js';

/**
 * Faults injected into a real deployment: the Temporal cluster (PostgreSQL and four services as
 * processes) and Steadfast workers as their own OS processes (`worker.ts`). After each fault every
 * incident must reach its outcome, every alert sent must be in its incident, and no action may reach
 * its target twice except a retry carrying the same idempotency key: the HTTP target counts each
 * request with its key, and each container counts its own starts in a file on the host.
 *
 * The activities' heartbeat timeout (30s, src/workflows/incident/activities.ts) sets the pace: a
 * killed or paused worker's action is retried elsewhere only after it.
 */
const TASK_QUEUE = 'fault-incidents';
const run = Date.now().toString(36);

let cluster: TestCluster;
let prometheus: RunningPrometheus;
let target: CountingTarget;
let docker: Docker;
let dir: string;
let workerEnv: Record<string, string>;
const workers: WorkerProcess[] = [];
/** Each worker reaches the frontend through its own link, which a test may cut. */
const links = new Map<WorkerProcess, CuttableLink>();
const containers: CountedContainer[] = [];
let workerCount = 0;
/** The real API in this process, in front of the cluster: alerts reach incidents through its webhook. */
let apiServer: RunningServer;
let api: { url: string; token: string; client: TestCluster['client'] };

/** What each fault did, for docs/deploy.md's table (printed at the end of the run). */
const table: { fault: string; result: string }[] = [];
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function runbooks(base: string, hostPort: string): Record<string, string> {
  const head = (name: string, alert: string) => `title: ${name}
match: { alertnames: [${alert}] }
risk: low
approvers: []
approval: { timeout: 10m, finalPolicy: auto-approve }
`;
  const scope = `scope: { http: { hosts: ['${hostPort}'] }, docker: { labels: { steadfast.test: '${inject('testRunId')}' } } }`;
  const verified = 'verify: { promql: "vector(1)", within: 60s, interval: 1s }';
  return {
    'call.yaml': `${head('Call the service', 'FaultCall')}${scope}
steps:
  - { action: http.call, url: '${base}/call/{{ labels.incident }}', timeout: 90s }
${verified}
`,
    'wait.yaml': `${head('Wait, then call the service', 'FaultWait')}${scope}
steps:
  - { action: wait, duration: 10s }
  - { action: http.call, url: '${base}/after-wait/{{ labels.incident }}' }
${verified}
`,
    // Its check splices a label outside a quoted matcher (the test sets the time it turns true), so no
    // policy approves it: a person does.
    'verify.yaml': `${head('Call, then verify until a time', 'FaultVerify').replace('approvers: []', 'approvers: [alice]')}${scope}
steps:
  - { action: http.call, url: '${base}/before-verify/{{ labels.incident }}' }
verify: { promql: 'time() > bool {{ labels.after }}', within: 3m, interval: 2s }
`,
    'slow-stop.yaml': `${head('Stop a container that ignores SIGTERM', 'FaultSlowStop')}${scope}
steps:
  - { action: docker.stop, container: '{{ labels.container }}', stopTimeout: 45s }
${verified}
`,
    'restart.yaml': `${head('Call the service, then restart its container', 'FaultRestart')}${scope}
steps:
  - { action: http.call, url: '${base}/restart-call/{{ labels.incident }}', timeout: 90s }
  - { action: docker.restart, container: '{{ labels.container }}', stopTimeout: 1s }
${verified}
`,
  };
}

async function startWorker(): Promise<WorkerProcess> {
  const link = await startCuttableLink(cluster.address);
  const env = { ...workerEnv, TEMPORAL_ADDRESS: link.address };
  const worker = await startWorkerProcess(`worker-${++workerCount}`, env, dir);
  workers.push(worker);
  links.set(worker, link);
  return worker;
}

const workerByIdentity = (identity: string): WorkerProcess => {
  const worker = workers.find((w) => identity.startsWith(`${w.pid}@`));
  if (!worker) throw new Error(`no worker of this test has identity ${identity}`);
  return worker;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steadfast-faults-'));
  [cluster, prometheus, target] = await Promise.all([
    startTestCluster(),
    startPrometheus([]),
    startCountingTarget(),
  ]);
  docker = testDocker();
  const runbooksDir = join(dir, 'runbooks');
  mkdirSync(runbooksDir);
  for (const [name, text] of Object.entries(runbooks(target.base, target.hostPort)))
    writeFileSync(join(runbooksDir, name), text);
  workerEnv = {
    TEMPORAL_ADDRESS: cluster.address,
    TEMPORAL_NAMESPACE: cluster.namespace,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    STEADFAST_RUNBOOKS_DIR: runbooksDir,
    STEADFAST_REPORTS_DIR: join(dir, 'reports'),
    STEADFAST_DOCKER_SOCKET: inject('dockerSocket'),
    PROMETHEUS_URL: prometheus.url,
    STEADFAST_AUTO_APPROVE_LOW_RISK: 'true',
    STEADFAST_WORKER_METRICS_PORT: '0',
    STEADFAST_API_PORT: String(await freePort()),
    STEADFAST_LOG_FORMAT: 'json',
  };
  const token = `faults-${run}-0123456789abcdef`;
  const settings = loadSettings({
    TEMPORAL_ADDRESS: cluster.address,
    TEMPORAL_NAMESPACE: cluster.namespace,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    STEADFAST_API_TOKEN: token,
    STEADFAST_DEBOUNCE: '100ms',
    STEADFAST_API_PORT: '0',
    STEADFAST_REPORTS_DIR: join(dir, 'reports'),
  });
  apiServer = await listen(await testApp(settings), '127.0.0.1', 0);
  api = { url: apiServer.url, token, client: cluster.client };
  const first = await startWorker();
  await first.ready;
}, 300_000);

afterAll(async () => {
  console.log(
    ['| Fault | Result |', '|---|---|', ...table.map((r) => `| ${r.fault} | ${r.result} |`)].join('\n'),
  );
  await Promise.all(workers.map((w) => w.stop()));
  await Promise.all([...links.values()].map((l) => l.close()));
  await apiServer?.close();
  await Promise.all(containers.map((c) => c.remove()));
  await target?.close();
  await prometheus?.close();
  await cluster?.close();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** Resolves once something accepts connections on 127.0.0.1:port (see servicePorts in cluster.mjs). */
async function waitForListener(port: number, isAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (!isAlive() || Date.now() > deadline) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops a cluster process (SIGTERM, SIGKILL after 15 s). */
async function stopProcess(child: Child): Promise<void> {
  if (child.exited) return;
  child.child.kill('SIGTERM');
  const timer = setTimeout(() => child.child.kill('SIGKILL'), 15_000);
  await child.done;
  clearTimeout(timer);
}

describe('faults on a Temporal cluster with Steadfast workers as processes', () => {
  it('SIGKILL of a worker during an http.call, a wait step and verification: each incident ends verified on another worker', async () => {
    const ids = { call: `kill-call-${run}`, wait: `kill-wait-${run}`, verify: `kill-verify-${run}` };
    const after = Math.floor(Date.now() / 1000) + 40;
    target.hold(`/call/${ids.call}`);
    const [call, wait, verify] = await Promise.all([
      sendIncident(cluster.client, TASK_QUEUE, ids.call, 'FaultCall'),
      sendIncident(cluster.client, TASK_QUEUE, ids.wait, 'FaultWait'),
      sendIncident(cluster.client, TASK_QUEUE, ids.verify, 'FaultVerify', { after: String(after) }),
    ]);
    await waitForState(verify.handle, atStage('approve'), 60_000);
    await verify.handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    // All three in flight on the only worker: the call held open, the wait sleeping, verification polling.
    await target.arrived(`/call/${ids.call}`);
    await workerRunningAction(wait.handle);
    await waitForState(verify.handle, atStage('verify'), 60_000);
    while ((await scheduledCount(verify.handle, 'checkCondition')) < 1)
      await new Promise((r) => setTimeout(r, 200));
    const pollsBefore = await scheduledCount(verify.handle, 'checkCondition');

    const [victim] = workers;
    const killedAt = Date.now();
    victim?.signal('SIGKILL');
    // The work moves to two fresh workers (they stay for the rest of the suite).
    await Promise.all([startWorker(), startWorker()]);
    const results = await Promise.all([call, wait, verify].map(outcomeOf));
    const [afterCall, afterWait, afterVerify] = results.map((r) => seconds(r.at - killedAt));
    target.release(`/call/${ids.call}`);

    expect(victim?.ended()).toBe('SIGKILL');
    expect(results.map(({ at: _, ...r }) => r)).toEqual(
      Array(3).fill({ outcome: 'verified', alertKept: true }),
    );
    const calls = target.countOf(`/call/${ids.call}`);
    expect(calls.keys).toBe(1); // the killed call and its retry carry one key
    // The wait was cut short by the kill and ran again (a second attempt), and the call after it once.
    expect(await mostAttempts(wait.handle, 'applyAction')).toBeGreaterThanOrEqual(2);
    expect(target.countOf(`/after-wait/${ids.wait}`)).toEqual({ requests: 1, keys: 1 });
    expect(target.countOf(`/before-verify/${ids.verify}`)).toEqual({ requests: 1, keys: 1 });
    const pollsAfter = (await scheduledCount(verify.handle, 'checkCondition')) - pollsBefore;
    expect(pollsAfter).toBeGreaterThan(0);
    table.push(
      {
        fault: 'SIGKILL the worker while an `http.call` is in flight',
        result: `verified ${afterCall} after the kill; ${calls.requests} requests, 1 Idempotency-Key`,
      },
      {
        fault: 'SIGKILL the worker while a `wait` step runs',
        result: `verified ${afterWait} after the kill; the wait ran again on another worker, the call after it reached the target once`,
      },
      {
        fault: 'SIGKILL the worker while verification polls',
        result: `verified ${afterVerify} after the kill; ${pollsBefore} poll(s) before the kill, ${pollsAfter} after, on another worker`,
      },
    );
  }, 180_000);

  it('SIGTERM of a worker during a wait step, as a rolling deploy stops it: the step finishes where it started, and the worker exits', async () => {
    const sent = await sendIncident(cluster.client, TASK_QUEUE, `drain-${run}`, 'FaultWait');
    const stopped = workerByIdentity(await workerRunningAction(sent.handle));
    // Its replacement, as a rollout starts one: the incident goes on there once the wait is over.
    const replacement = startWorker();
    const stoppedAt = Date.now();
    // SIGTERM, then SIGKILL only past the drain (STEADFAST_WORKER_DRAIN, 30 s) and its give-up (15 s).
    const stopping = stopped.stop(60_000);
    await new Promise((r) => setTimeout(r, 3_000));
    const draining = stopped.ended() === undefined;
    await stopping;
    const exitedAfter = Date.now() - stoppedAt;
    const fresh = await replacement;
    await fresh.ready;
    expect(await outcomeOf(sent)).toMatchObject({ outcome: 'verified', alertKept: true });
    const elapsed = Date.now() - stoppedAt;

    expect(draining).toBe(true); // still at work 3 s after SIGTERM, not gone
    expect(stopped.ended()).toBe(0); // it stopped by itself, not by the SIGKILL
    // The wait (10 s, which a cancellation ends at once) was neither cut short nor run again, and the
    // call after it reached the target once.
    expect(await mostAttempts(sent.handle, 'applyAction')).toBe(1);
    expect(target.countOf(`/after-wait/${sent.id}`)).toEqual({ requests: 1, keys: 1 });
    table.push({
      fault: 'SIGTERM the worker while a `wait` step runs (a rolling deploy)',
      result: `the wait finished on the stopping worker, in its first attempt; the worker exited 0 ${seconds(exitedAfter)} after SIGTERM; verified ${seconds(elapsed)} after it, the call after the wait reaching the target once`,
    });
  }, 150_000);

  it('SIGTERM of a worker during an http.call that outlasts its drain: the call is cut, the worker exits 0, and another worker retries it at once with the same key', async () => {
    // Workers of their own task queue, so that the call surely runs on the one stopped, with a drain of 1 s.
    const env = {
      ...workerEnv,
      TEMPORAL_TASK_QUEUE: `${TASK_QUEUE}-hand-over`,
      STEADFAST_WORKER_DRAIN: '1s',
    };
    const stopped = await startWorkerProcess('hand-over', env, dir);
    workers.push(stopped);
    await stopped.ready;
    const id = `hand-over-${run}`;
    target.hold(`/call/${id}`);
    const sent = await sendIncident(cluster.client, env.TEMPORAL_TASK_QUEUE, id, 'FaultCall');
    await target.arrived(`/call/${id}`);
    const stoppedAt = Date.now();
    await stopped.stop(60_000);
    const exitedAfter = Date.now() - stoppedAt;
    target.release(`/call/${id}`);
    const next = await startWorkerProcess('hand-over-next', env, dir);
    workers.push(next);
    const outcome = await outcomeOf(sent);

    expect(stopped.ended()).toBe(0); // by itself, cleanly: nothing was left running
    expect(exitedAfter).toBeLessThan(10_000); // the drain (1 s), not the give-up (16 s) or the call's 90 s
    expect(outcome).toMatchObject({ outcome: 'verified', alertKept: true });
    // The cut call and its retry: two requests, one Idempotency-Key. The retry was asked for by the
    // stopping worker's report, not by a heartbeat timeout.
    expect(target.countOf(`/call/${id}`)).toEqual({ requests: 2, keys: 1 });
    expect(await retriedAfter(sent.handle, 'applyAction')).toEqual(['WorkerStopped']);
    table.push({
      fault: 'SIGTERM the worker while an `http.call` is held open past its drain (1 s)',
      result: `the call was cut at the drain's end and the worker exited 0 ${seconds(exitedAfter)} after SIGTERM; the step failed as \`WorkerStopped\` and another worker's retry, with the same Idempotency-Key, verified the incident ${seconds(outcome.at - stoppedAt)} after SIGTERM`,
    });
  }, 120_000);

  it('SIGTERM of a worker whose docker.stop waits out a container that ignores SIGTERM: it gives up 15 s past its drain and exits 1, naming why', async () => {
    // The engine's call cannot be cut short: the engine waits the stop's 45 s for the container anyway.
    const env = { ...workerEnv, TEMPORAL_TASK_QUEUE: `${TASK_QUEUE}-give-up`, STEADFAST_WORKER_DRAIN: '1s' };
    const stopped = await startWorkerProcess('give-up', env, dir);
    workers.push(stopped);
    const container = await startCountedContainer(docker, 'steadfast-test-fault-slow-stop', {
      ignoreTerm: true,
    });
    containers.push(container);
    await stopped.ready;
    const sent = await sendIncident(
      cluster.client,
      env.TEMPORAL_TASK_QUEUE,
      `give-up-${run}`,
      'FaultSlowStop',
      {
        container: container.name,
      },
    );
    await workerRunningAction(sent.handle);
    const stoppedAt = Date.now();
    await stopped.stop(60_000);
    const exitedAfter = Date.now() - stoppedAt;
    await sent.handle.terminate('the fault test is over');

    expect(stopped.ended()).toBe(1); // by itself, with an error: not by the SIGKILL 60 s on
    expect(exitedAfter).toBeGreaterThanOrEqual(15_000);
    expect(exitedAfter).toBeLessThan(30_000);
    expect(stopped.log()).toMatch(/"event":"worker.gave-up"/);
    table.push({
      fault:
        'SIGTERM the worker while a `docker.stop` waits out a container that ignores SIGTERM (45 s), drain 1 s',
      result: `the worker gave up waiting 15 s past its drain and exited 1 (\`worker.gave-up\`) ${seconds(exitedAfter)} after SIGTERM`,
    });
  }, 120_000);

  /** An incident whose call is held open while `fault` runs; then its container restart follows. */
  async function midIncident(name: string, fault: () => Promise<void>, isUp: () => boolean): Promise<string> {
    const id = `${name}-${run}`;
    const container = await startCountedContainer(docker, `steadfast-test-fault-${name}`);
    containers.push(container);
    const startedAt = await container.startedAt();
    await Promise.all(workers.filter((w) => w.ended() === undefined).map((w) => w.ready));
    target.hold(`/restart-call/${id}`);
    const sent = await postAlert(api, id, 'FaultRestart', { container: container.name });
    await target.arrived(`/restart-call/${id}`);
    const faultAt = Date.now();
    // A second alert arrives as the fault begins: the API takes it, or refuses it and Alertmanager
    // (here, postAlert) sends it again; either way its incident must run.
    const [, during] = await Promise.all([fault(), postAlert(api, `${id}-during`, 'FaultCall')]);
    const restarted = Date.now() - faultAt;
    target.release(`/restart-call/${id}`);
    const outcomes = await Promise.all([sent, during].map(outcomeOf));
    expect(outcomes.map(({ at: _, ...o }) => o)).toEqual(
      Array(2).fill({ outcome: 'verified', alertKept: true }),
    );
    const elapsed = (outcomes[0]?.at ?? 0) - faultAt;
    expect(isUp()).toBe(true);
    expect(target.countOf(`/call/${id}-during`).keys).toBe(1);
    const calls = target.countOf(`/restart-call/${id}`);
    expect(calls.keys).toBe(1);
    expect(container.starts()).toBe(2); // started once by the test, restarted once by the incident
    expect(await container.startedAt()).not.toBe(startedAt);
    return `stopped and listening again in ${seconds(restarted)}; verified ${seconds(elapsed)} after the stop began; ${calls.requests} request(s), 1 key; the container restarted once; an alert posted as the stop began was taken at post ${during.posts} and its incident verified`;
  }

  const alive = (name: string) => (): boolean => cluster.children[name]?.exited === false;

  /** Stops a service and starts it again; resolves once the new one listens on its gRPC port. */
  async function restartService(service: 'history' | 'matching'): Promise<void> {
    const child = cluster.children[service];
    expect(child?.exited).toBe(false);
    if (child) await stopProcess(child);
    const started = startService({ server: cluster.server, configRoot: cluster.configRoot, service });
    cluster.children[service] = started;
    const port = Number(cluster.address.split(':')[1]) + (service === 'history' ? 1 : 2);
    await waitForListener(port, () => !started.exited);
  }

  it('restart of the history service mid-incident', async () => {
    const result = await midIncident('history', () => restartService('history'), alive('history'));
    table.push({ fault: 'Restart the history service during an action', result });
  }, 120_000);

  it('restart of the matching service mid-incident', async () => {
    const result = await midIncident('matching', () => restartService('matching'), alive('matching'));
    table.push({ fault: 'Restart the matching service during an action', result });
  }, 120_000);

  it('restart of PostgreSQL mid-incident', async () => {
    const restart = async (): Promise<void> => {
      expect(cluster.children['postgres']?.exited).toBe(false);
      // A fast shutdown (SIGINT to the postmaster): the services keep their connections open, which a
      // smart shutdown would wait for.
      const pid = Number(readFileSync(join(cluster.dir, 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGINT');
      const old = cluster.children['postgres'];
      if (old) await old.done;
      cluster.children['postgres'] = await startPostgres({
        dir: cluster.dir,
        port: cluster.pgPort,
        durable: false,
      });
    };
    const result = await midIncident('postgres', restart, alive('postgres'));
    table.push({ fault: 'Restart PostgreSQL during an action', result });
  }, 120_000);

  it('SIGSTOP of a worker during a wait step, past the heartbeat timeout, then SIGCONT', async () => {
    const sent = await sendIncident(cluster.client, TASK_QUEUE, `pause-${run}`, 'FaultWait');
    const paused = workerByIdentity(await workerRunningAction(sent.handle));
    const pausedAt = Date.now();
    paused.signal('SIGSTOP');
    // Past the 30 s heartbeat timeout, the wait is retried on the other worker.
    await new Promise((r) => setTimeout(r, 35_000));
    paused.signal('SIGCONT');
    expect(await outcomeOf(sent)).toMatchObject({ outcome: 'verified', alertKept: true });
    const elapsed = Date.now() - pausedAt;
    expect(await mostAttempts(sent.handle, 'applyAction')).toBeGreaterThanOrEqual(2);
    expect(target.countOf(`/after-wait/${sent.id}`)).toEqual({ requests: 1, keys: 1 });
    expect(paused.ended()).toBeUndefined();
    table.push({
      fault: 'SIGSTOP the worker during a `wait` for 35 s (heartbeat timeout 30 s), then SIGCONT',
      result: `verified ${seconds(elapsed)} after the pause began; the call after the wait reached the target once; the paused worker lives on`,
    });
  }, 150_000);

  it('a worker cut off from the frontend for 30 s while its http.call is in flight', async () => {
    const id = `cut-${run}`;
    target.hold(`/call/${id}`);
    const sent = await sendIncident(cluster.client, TASK_QUEUE, id, 'FaultCall');
    await target.arrived(`/call/${id}`);
    const worker = workerByIdentity(await workerRunningAction(sent.handle));
    const link = links.get(worker);
    const cutAt = Date.now();
    link?.cut();
    // The service answers while the worker is cut off: its result must wait for the link, or be lost.
    target.release(`/call/${id}`);
    await new Promise((r) => setTimeout(r, 30_000));
    link?.heal();
    expect(await outcomeOf(sent)).toMatchObject({ outcome: 'verified', alertKept: true });
    const elapsed = Date.now() - cutAt;
    const calls = target.countOf(`/call/${id}`);
    expect(calls.keys).toBe(1);
    expect(worker.ended()).toBeUndefined();
    table.push({
      fault:
        "Cut a worker's connection to the frontend for 30 s (a black hole) while its `http.call` is in flight",
      result: `verified ${seconds(elapsed)} after the cut began; ${calls.requests} request(s), 1 Idempotency-Key; the worker lives on`,
    });
  }, 150_000);
  it('SIGKILL of an API replica while Alertmanager delivers: Alertmanager sends again, through the other replica', async () => {
    // Two replicas as `npm start` runs them (API and worker), behind a round-robin balancer, with
    // Debian's Alertmanager delivering to the balancer. The victim is hung first (SIGSTOP), so that
    // requests are surely in flight to it when it is killed, not already answered.
    const ports = [await freePort(), await freePort()];
    const replicas = await Promise.all(
      ports.map((port, i) =>
        startReplicaProcess(
          `replica-${i + 1}`,
          {
            ...workerEnv,
            STEADFAST_API_PORT: String(port),
            STEADFAST_API_TOKEN: api.token,
            STEADFAST_DEBOUNCE: '100ms',
          },
          dir,
        ),
      ),
    );
    await Promise.all(replicas.map((r) => r.ready));
    const [victim, survivor] = replicas;
    const [victimPort = 0, survivorPort = 0] = ports;
    const balancer = await startBalancer(ports);
    const alertmanager = await startAlertmanager(`${balancer.url}/api/v1/alertmanager`, api.token);
    try {
      const ids = Array.from({ length: 12 }, (_, i) => `am-kill-${i}-${run}`);
      victim?.signal('SIGSTOP');
      await alertmanager.fire(
        ids.map((id) => ({
          labels: { alertname: 'FaultCall', service: id, incident: id },
          annotations: { summary: id },
        })),
      );
      await balancer.received(victimPort);
      const killedAt = Date.now();
      victim?.signal('SIGKILL');
      const handles = ids.map((id) =>
        cluster.client.workflow.getHandle<typeof incidentWorkflow>(
          correlate({ alertname: 'FaultCall', service: id }, '').incidentId,
        ),
      );
      await Promise.all(handles.map((h) => opened(h)));
      const allIn = Date.now() - killedAt;
      const states: IncidentState[] = await Promise.all(handles.map((h) => h.result()));
      const failed = await alertmanager.failedRequests();

      expect(victim?.ended()).toBe('SIGKILL');
      expect(survivor?.ended()).toBeUndefined();
      expect(failed).toBeGreaterThanOrEqual(1);
      expect(balancer.connections(survivorPort)).toBeGreaterThanOrEqual(1);
      states.forEach((state, i) => {
        expect(state.outcome).toBe('verified');
        // Each alert sent is in its incident exactly once, however often it was delivered.
        expect(state.alerts.filter((a) => a.labels['incident'] === ids[i])).toHaveLength(1);
        expect(target.countOf(`/call/${ids[i]}`).keys).toBe(1);
      });
      table.push({
        fault: 'SIGKILL an API replica (`src/main.ts`, hung first) while Alertmanager delivers to it',
        result: `Alertmanager counted ${failed} failed request(s) and sent them again through the other replica; all ${ids.length} incidents open ${seconds(allIn)} after the kill and verified; each alert in its incident once; each call reached the target with 1 key`,
      });
    } finally {
      await alertmanager.close();
      await balancer.close();
      await Promise.all(replicas.map((r) => r.stop()));
    }
  }, 240_000);
});
