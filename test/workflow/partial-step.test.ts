/**
 * A remediation step that acts but never hears back: the engine applies the change and the answer is
 * lost, on every attempt. Its snapshot was taken, so the saga undoes it as it undoes the steps before it,
 * on a real Temporal server and a real container behind a Docker API relay that loses answers.
 */
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { approveUpdate } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { liveMemoryLimit, startTestContainer, testDocker } from '../support/docker.js';
import {
  makeAlert,
  recordHistory,
  startIncident,
  testDockerScope,
  waitForState,
} from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'partial-step';
const MiB = 1024 * 1024;

/**
 * An HTTP relay on a unix socket in front of the engine's. While `lose` is above 0, a container update
 * is passed on and applied, and its answer replaced by a 500, as when the engine restarts mid-call.
 */
function startLossyEngine(
  upstream: string,
  socketPath: string,
): { server: Server; lose: { updates: number } } {
  const lose = { updates: 0 };
  const server = createServer((req, res) => {
    const losing =
      req.method === 'POST' && /\/containers\/[^/]+\/update$/.test(req.url ?? '') && lose.updates > 0;
    if (losing) lose.updates--;
    const up = request(
      { socketPath: upstream, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        if (losing) {
          answer.resume();
          answer.once('end', () => {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ message: 'the engine went away (injected by the test)' }));
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', (err) => res.destroy(err));
    req.pipe(up);
  });
  server.listen(socketPath);
  return { server, lose };
}

const RUNBOOK = `
title: Raise the memory limit
match: { alertnames: [PartialResize] }
risk: medium
approvers: [alice]
approval: { timeout: 10m }
guards: { cooldown: 0s }
steps:
  - action: docker.update-resources
    container: '{{ labels.container }}'
    memory: 96Mi
${testDockerScope()}
verify: { within: 20s }
`;

let client: Client;
let worker: TestWorker;
let relay: ReturnType<typeof startLossyEngine>;
const dir = mkdtempSync(join(tmpdir(), 'steadfast-partial-'));

beforeAll(async () => {
  relay = startLossyEngine(inject('dockerSocket'), join(dir, 'docker.sock'));
  const docker = new Docker({ socketPath: join(dir, 'docker.sock') });
  client = await testClient();
  worker = await startTestWorker(
    testActivities({ runbooks: { 'resize.yaml': RUNBOOK }, docker }),
    TASK_QUEUE,
  );
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  relay?.server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a step whose answer is lost', () => {
  it('when the engine applies a change but every answer is lost, then the step is undone and the container is as before', async () => {
    const container = await startTestContainer(testDocker(), 'steadfast-test-partial', { Memory: 64 * MiB });
    const id = `partial-${Date.now().toString(36)}`;
    const handle = await startIncident(client, TASK_QUEUE, id, [
      makeAlert({ alertName: 'PartialResize', labels: { container: 'steadfast-test-partial' } }),
    ]);
    await waitForState(handle, (s) => s.stage === 'approve');

    relay.lose.updates = 3; // the step's three attempts
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    const result = await handle.result();

    expect(result.outcome).toBe('failed');
    expect(result.actions[0]?.status).toBe('rolled-back');
    expect(result.timeline.map((t) => t.event)).toEqual(
      expect.arrayContaining(['action-failed', 'rolling-back', 'rolled-back']),
    );
    expect(await liveMemoryLimit(container)).toBe(64 * MiB);
    await recordHistory(client, id, 'failed-step-undone');
  });
});
