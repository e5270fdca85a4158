/**
 * The Docker engine restarts while an approved fix runs: its socket is gone for longer than the step's
 * three attempts take. The step waits for the engine and acts once it is back, on a real Temporal server
 * and a real container behind a relay that can take the engine's socket away.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { alertsSignal, approveUpdate } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { testDocker } from '../support/docker.js';
import {
  makeAlert,
  recordHistory,
  resolvedAlert,
  startIncident,
  testDockerScope,
  waitForState,
} from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';
import { startCountedContainer, type CountedContainer } from '../faults/support/container.js';

const TASK_QUEUE = 'engine-outage';
const OUTAGE_MS = 12_000;

/** A unix socket relayed to the engine's, which `down` removes (as a restarting daemon does) and `up` brings back. */
function startEngineRelay(upstream: string, socketPath: string) {
  const open = new Set<Socket>();
  let server: Server | undefined;
  const up = (): Promise<void> =>
    new Promise((resolve) => {
      server = createServer((client) => {
        const engine = createConnection(upstream);
        open.add(client).add(engine);
        client.pipe(engine).pipe(client);
        const end = (): void => {
          client.destroy();
          engine.destroy();
          open.delete(client);
          open.delete(engine);
        };
        client.on('error', end).on('close', end);
        engine.on('error', end).on('close', end);
      });
      server.listen(socketPath, resolve);
    });
  const down = (): Promise<void> =>
    new Promise((resolve) => {
      for (const socket of open) socket.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
    });
  return { up, down };
}

const RUNBOOK = `
title: Restart it
match: { alertnames: [EngineRestarting] }
risk: medium
approvers: [alice]
approval: { timeout: 10m }
guards: { cooldown: 0s }
steps:
  - action: docker.restart
    container: '{{ labels.container }}'
    stopTimeout: 2s
${testDockerScope()}
verify: { within: 60s }
`;

let client: Client;
let worker: TestWorker;
let relay: ReturnType<typeof startEngineRelay>;
let container: CountedContainer | undefined;
const dir = mkdtempSync(join(tmpdir(), 'steadfast-outage-'));

beforeAll(async () => {
  relay = startEngineRelay(inject('dockerSocket'), join(dir, 'docker.sock'));
  await relay.up();
  client = await testClient();
  worker = await startTestWorker(
    testActivities({
      runbooks: { 'restart.yaml': RUNBOOK },
      docker: new Docker({ socketPath: join(dir, 'docker.sock') }),
    }),
    TASK_QUEUE,
  );
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await container?.remove();
  await relay?.down();
  rmSync(dir, { recursive: true, force: true });
});

describe('a Docker engine that restarts during a fix', () => {
  it('when the engine is gone for longer than three attempts take, then the step waits for it and restarts the container once', async () => {
    container = await startCountedContainer(testDocker(), 'steadfast-test-outage');
    const id = `outage-${Date.now().toString(36)}`;
    const alert = makeAlert({ alertName: 'EngineRestarting', labels: { container: container.name } });
    const handle = await startIncident(client, TASK_QUEUE, id, [alert]);
    await waitForState(handle, (s) => s.stage === 'approve');

    await relay.down();
    const back = new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)).then(() => relay.up());
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    await back;
    // Without the wait the step has failed by now, and the incident closed.
    const after = await waitForState(handle, (s) => s.stage === 'verify' || s.stage === 'closed', 90_000);
    expect(after.stage).toBe('verify');
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    const result = await handle.result();

    expect(result.outcome).toBe('verified');
    expect(result.actions[0]?.status).toBe('done');
    expect(container.starts()).toBe(2);
    await recordHistory(client, id, 'engine-outage-waited');
  }, 120_000);
});
