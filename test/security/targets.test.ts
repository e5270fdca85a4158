import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { IncidentState } from '../../src/domain/incident.js';
import { guardStateQuery, guardWorkflowId } from '../../src/workflows/guard.js';
import { alertsSignal, resolveUpdate } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { createTestContainer, startTestContainer, testDocker } from '../support/docker.js';
import { makeAlert, recordHistory, resolvedAlert, startIncident, waitForState } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

/**
 * An alert's sender aims a runbook at things it was not written for. Every attack runs through a real
 * incident on a real Temporal server, with auto-approval on (the worst case: nobody looks), against real
 * containers and a local HTTP server standing in for the attacker's host.
 */
const TASK_QUEUE = 'security-targets';

let client: Client;
let worker: TestWorker;
let docker: Docker;
let attacker: { server: Server; port: number; hits: string[] };
let service: { server: Server; port: number; hits: string[] };

async function countingServer(): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

// Only containers of this run that opt in with steadfast.managed are in scope.
const scope = () => `{ labels: { steadfast.test: '${inject('testRunId')}', steadfast.managed: 'true' } }`;
const runbooks = (servicePort: number): Record<string, string> => ({
  'restart.yaml': `
title: Restart the service's container
match: { alertnames: [ServiceDown] }
risk: low
approval: { timeout: 10m, finalPolicy: auto-approve }
guards: { cooldown: 5m, maxActionsPerTarget: 10, window: 1h }
steps:
  - { action: docker.restart, container: '{{ labels.container }}', stopTimeout: 1s }
scope: { docker: ${scope()} }
verify: { within: 30s, interval: 1s }
`,
  'flush.yaml': `
title: Ask the service to flush its cache
match: { alertnames: [CachePressure] }
risk: low
approval: { timeout: 10m, finalPolicy: auto-approve }
steps:
  - { action: http.call, method: POST, url: 'http://{{ labels.instance }}/maintenance/cache/flush' }
scope: { http: { hosts: ['127.0.0.1:${servicePort}'] } }
verify: { within: 30s, interval: 1s }
`,
});

const uniqueId = (name: string): string =>
  `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const startedAt = async (c: Docker.Container): Promise<string> => (await c.inspect()).State.StartedAt;
const refused = (s: IncidentState): boolean => s.timeline.some((t) => t.event === 'plan-refused');
/** A guard refused an action of the plan approved at once: the incident waits for a person again. */
const handedBack = (s: IncidentState): boolean => s.stage === 'approve' && (s.round ?? 0) > 0;

/** Opens an incident for one alert and waits until its plan was refused, or run (or turned back). */
async function attack(alertName: string, labels: Record<string, string>) {
  const id = uniqueId(alertName.toLowerCase());
  const alert = makeAlert({ alertName, labels });
  const handle = await startIncident(client, TASK_QUEUE, id, [alert]);
  const state = await waitForState(
    handle,
    (s) => refused(s) || s.stage === 'verify' || s.stage === 'closed' || handedBack(s),
  );
  return { id, alert, handle, state };
}

beforeAll(async () => {
  docker = testDocker();
  attacker = await countingServer();
  service = await countingServer();
  client = await testClient();
  worker = await startTestWorker(
    testActivities({ runbooks: runbooks(service.port), docker, recommend: { autoApproveLowRisk: true } }),
    TASK_QUEUE,
  );
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  attacker?.server.close();
  service?.server.close();
});

describe('an alert cannot aim a runbook outside its scope', () => {
  it('a container outside the scope (a database) is refused before approval, and is not touched', async () => {
    const database = await startTestContainer(docker, 'steadfast-test-sec-database');
    const before = await startedAt(database);
    const { handle, state, alert } = await attack('ServiceDown', {
      container: 'steadfast-test-sec-database',
    });
    expect(state.recommendation).toBeNull();
    const entry = state.timeline.find((t) => t.event === 'plan-refused');
    expect(entry?.message).toContain('container steadfast-test-sec-database');
    expect(entry?.message).toContain("is outside the runbook's scope: it lacks steadfast.managed=true");
    expect(state.approvals).toEqual([]);
    // Nothing ran, even with auto-approval on; the incident waits for people or for its alert to resolve.
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('no-runbook');
    expect(await startedAt(database)).toBe(before);
    await recordHistory(client, handle.workflowId, 'scope-refused');
  });

  it('a protected container is refused even when it carries every scope label', async () => {
    const own = await createTestContainer(docker, 'steadfast-test-sec-protected', {
      labels: { 'steadfast.managed': 'true', 'steadfast.protected': 'true' },
    });
    const before = await startedAt(own);
    const { handle, state } = await attack('ServiceDown', { container: 'steadfast-test-sec-protected' });
    expect(state.timeline.find((t) => t.event === 'plan-refused')?.message).toContain(
      'is protected (label steadfast.protected)',
    );
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect((await handle.result()).outcome).toBe('resolved');
    expect(await startedAt(own)).toBe(before);
  });

  it('a container named by its ID or an ID prefix is refused before approval (its check reads the name); by its name it is restarted, bound to its ID', async () => {
    const target = await createTestContainer(docker, 'steadfast-test-sec-aliased', {
      labels: { 'steadfast.managed': 'true' },
    });
    const { Id: id } = await target.inspect();
    const before = await startedAt(target);
    for (const alias of [id, id.slice(0, 12), id.slice(0, 20)]) {
      const { handle, state } = await attack('ServiceDown', { container: alias });
      expect(state.recommendation).toBeNull();
      expect(state.timeline.find((t) => t.event === 'plan-refused')?.message).toContain(
        `is the ID of steadfast-test-sec-aliased, not its name: a step names its container by name, which its check reads`,
      );
      await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
      expect((await handle.result()).outcome).toBe('resolved');
    }
    expect(await startedAt(target)).toBe(before);

    const acting = await attack('ServiceDown', { container: 'steadfast-test-sec-aliased' });
    expect(acting.state.stage).toBe('verify');
    expect(acting.state.recommendation?.steps[0]).toMatchObject({ container: id });
    const guard = await client.workflow.getHandle(guardWorkflowId(TASK_QUEUE)).query(guardStateQuery);
    expect(guard.reservations.filter((r) => r.target === `docker/container/${id}`)).toHaveLength(1);
    expect(await startedAt(target)).not.toBe(before);
    await acting.handle.signal(alertsSignal, [resolvedAlert(acting.alert)]);
    expect((await acting.handle.result()).outcome).toBe('verified');
    await recordHistory(client, acting.handle.workflowId, 'resolved-target-restart');
  });

  it.each([
    ['an attacker host', () => `127.0.0.1:${attacker.port}`, "is outside the runbook's scope"],
    ['the cloud metadata address', () => '169.254.169.254', 'link-local, metadata or unspecified address'],
  ])('an HTTP call to %s is refused and never made', async (_, instance, why) => {
    const { handle, state } = await attack('CachePressure', { instance: instance() });
    expect(state.timeline.find((t) => t.event === 'plan-refused')?.message).toContain(why);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    await handle.result();
    expect(attacker.hits).toEqual([]);
  });

  it('the host the scope names is called, once', async () => {
    const { handle, alert, state } = await attack('CachePressure', { instance: `127.0.0.1:${service.port}` });
    expect(state.recommendation?.targets).toEqual([`127.0.0.1:${service.port} (127.0.0.1)`]);
    await waitForState(handle, (s) => s.stage === 'verify');
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('verified');
    expect(service.hits).toEqual(['POST /maintenance/cache/flush']);
  });
});
