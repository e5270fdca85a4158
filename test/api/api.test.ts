import { testDockerScope } from '../support/scenario.js';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { testActivities } from '../support/activities.js';
import { alertPayload, startOfflineApi, testApp } from '../support/api-harness.js';
import { createApp } from '../../src/api/app.js';
import { TokenStore } from '../../src/api/auth.js';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import type { IncidentState } from '../../src/domain/incident.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics, type Metrics } from '../../src/lib/metrics.js';
import { createClient } from '../../src/temporal/connection.js';
import { startTestContainer, testDocker } from '../support/docker.js';
import { startAlertmanager } from '../support/alertmanager.js';
import { startTestWorker, testClient, type TestWorker, workflowExists } from '../support/temporal.js';

const TASK_QUEUE = 'api-tests';
const TOKENS = {
  alice: 'alice-token-0123456789abcdef',
  alertmanager: 'alertmanager-token-0123456789',
  viewer: 'viewer-token-0123456789abcdef',
  mallory: 'mallory-token-0123456789abcdef',
};

let server: RunningServer;
let client: Client;
let worker: TestWorker;
let docker: Docker;
let settings: Settings;
let seq = 0;
let metrics: Metrics;

const RUNBOOK = `
title: Restart the API test container
match: { alertnames: [ApiTestDown] }
risk: low
approvers: [alice]
steps:
  - action: docker.restart
    container: '{{ labels.container }}'
    stopTimeout: 2s
${testDockerScope()}
verify: { within: 30s, interval: 1s }
`;

function payload(
  alertname: string,
  service: string,
  status: 'firing' | 'resolved' = 'firing',
  extra: Record<string, string> = {},
) {
  return alertPayload({
    alertname,
    labels: { service, severity: 'critical', ...extra },
    summary: `${alertname} on ${service}`,
    status,
    startsAt: '2026-11-24T06:00:00Z',
  });
}

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; base?: string } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  const response = await fetch(`${options.base ?? server.url}${path}`, {
    method,
    headers,
    ...(options.raw !== undefined
      ? { body: options.raw }
      : options.body !== undefined
        ? { body: JSON.stringify(options.body) }
        : {}),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: response.status, json, headers: response.headers };
}

const service = (name: string): string => `${name}-${Date.now().toString(36)}-${seq++}`;

async function incidentIdOf(response: { json: Record<string, unknown> }): Promise<string> {
  const [first] = response.json['incidents'] as { incidentId: string }[];
  if (!first) throw new Error('no incident in the answer');
  return first.incidentId;
}

async function state(id: string): Promise<IncidentState> {
  const r = await call('GET', `/api/v1/incidents/${id}`, { token: TOKENS.viewer });
  expect(r.status).toBe(200);
  return r.json['incident'] as IncidentState;
}

/**
 * An incident opened by Alertmanager's webhook for one container, then resolved by a person while its
 * alert still fires (as this API process remembers delivering it): its ID, the webhook and the service.
 */
async function resolvedByHand(name: string, container: string) {
  const svc = service(name);
  const webhook = payload('ApiTestDown', svc, 'firing', { container });
  const id = await incidentIdOf(
    await call('POST', '/api/v1/alertmanager', { token: TOKENS.alertmanager, body: webhook }),
  );
  await waitFor(id, (s) => s.alerts.length === 1);
  await call('POST', `/api/v1/incidents/${id}/resolve`, { token: TOKENS.alice, body: { reason: 'by hand' } });
  await client.workflow.getHandle(id).result();
  return { id, webhook, svc };
}

async function waitFor(
  id: string,
  done: (s: IncidentState) => boolean,
  timeoutMs = 30_000,
): Promise<IncidentState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await state(id).catch(() => undefined);
    if (s && done(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting; stage ${s?.stage}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The incident list comes from Temporal visibility, which catches up with a workflow's start or close
 * shortly after it happens: wait for at least one match, for a few seconds at most.
 */
async function listed(filter: string): Promise<unknown[]> {
  let incidents: unknown[] = [];
  for (let i = 0; i < 50 && incidents.length === 0; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    incidents = (await call('GET', `/api/v1/incidents?${filter}`, { token: TOKENS.viewer })).json[
      'incidents'
    ] as unknown[];
  }
  return incidents;
}

const exists = (id: string): Promise<boolean> => workflowExists(client, id);

beforeAll(async () => {
  const tokensFile = join(tmpdir(), `steadfast-tokens-${process.pid}.yaml`);
  writeFileSync(
    tokensFile,
    [
      'tokens:',
      `  - { identity: alice, roles: [read, approve, ingest], token: ${TOKENS.alice} }`,
      `  - { identity: alertmanager, roles: [ingest], token: ${TOKENS.alertmanager} }`,
      `  - { identity: viewer, roles: [read], token: ${TOKENS.viewer} }`,
      `  - { identity: mallory, roles: [read, approve], token: ${TOKENS.mallory} }`,
    ].join('\n'),
  );
  settings = loadSettings({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    STEADFAST_TOKENS_FILE: tokensFile,
    STEADFAST_MAX_BODY_BYTES: '65536',
    STEADFAST_DEBOUNCE: '100ms',
    STEADFAST_API_PORT: '0',
  });
  docker = testDocker();
  metrics = createMetrics();
  const logger = createLogger('silent');
  worker = await startTestWorker(
    testActivities({ runbooks: { 'restart.yaml': RUNBOOK }, docker, logger, metrics }),
    TASK_QUEUE,
  );
  client = await testClient();
  const app = createApp({
    settings,
    client: await createClient(settings.temporal),
    tokens: await TokenStore.load(settings.auth),
    metrics,
    logger,
  });
  server = await listen(app, '127.0.0.1', 0);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await worker?.stop();
});

describe('the API', () => {
  it('reports health to anyone, and Temporal connectivity on /api/v1/health to a read token', async () => {
    const r = await call('GET', '/api/v1/health', { token: TOKENS.viewer });
    expect(r.status).toBe(200);
    expect(r.json['temporal']).toEqual(expect.objectContaining({ reachable: true }));
    expect((await call('GET', '/api/v1/health')).json).toEqual({ status: 'ok' });
  });

  it('when a webhook has no token or a wrong one, then it is refused and no incident starts', async () => {
    const svc = service('noauth');
    const none = await call('POST', '/api/v1/alertmanager', { body: payload('ApiTestDown', svc) });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await call('POST', '/api/v1/alertmanager', {
      token: 'not-a-token',
      body: payload('ApiTestDown', svc),
    });
    expect(wrong.status).toBe(401);
    const viewer = await call('POST', '/api/v1/alertmanager', {
      token: TOKENS.viewer,
      body: payload('ApiTestDown', svc),
    });
    expect(viewer.status).toBe(403);
    expect(viewer.json['message']).toBe('viewer lacks the ingest role');
    const list = await call('GET', `/api/v1/incidents?service=${svc}`, { token: TOKENS.viewer });
    expect(list.json['incidents']).toEqual([]);
    expect((await call('GET', '/api/v1/incidents', { token: TOKENS.alertmanager })).status).toBe(403);
  });

  it('when a payload is malformed or oversized, then it gets 400/413 with the reason and starts nothing', async () => {
    const svc = service('bad');
    const good = payload('ApiTestDown', svc);
    const cases: [unknown, number, RegExp][] = [
      ['{"version": "4", ', 400, /not valid JSON/],
      [{ ...good, version: '3' }, 400, /version "4"/],
      [{ ...good, alerts: [] }, 400, /no alerts/],
      [{ ...good, alerts: [{ ...good.alerts[0], startsAt: 'yesterday' }] }, 400, /alerts\.0\.startsAt/],
      [{ ...good, alerts: [{ ...good.alerts[0], labels: { service: svc } }] }, 400, /alertname/],
      [{ ...good, commonAnnotations: { big: 'x'.repeat(70_000) } }, 413, /larger than the limit/],
    ];
    for (const [body, status, reason] of cases) {
      const r = await call('POST', '/api/v1/alertmanager', {
        token: TOKENS.alertmanager,
        ...(typeof body === 'string' ? { raw: body } : { body }),
      });
      expect(r.status, JSON.stringify(r.json)).toBe(status);
      expect(String(r.json['message'])).toMatch(reason);
    }
    const list = await call('GET', `/api/v1/incidents?service=${svc}`, { token: TOKENS.viewer });
    expect(list.json['incidents']).toEqual([]);
  });

  it('when the same webhook arrives several times, also at once, then exactly one incident holds the alert once', async () => {
    const svc = service('dup');
    const body = payload('ApiTestDown', svc, 'firing', { container: 'steadfast-test-api-absent' });
    const answers = await Promise.all(
      [1, 2, 3, 4].map(() => call('POST', '/api/v1/alertmanager', { token: TOKENS.alertmanager, body })),
    );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
    const ids = new Set(await Promise.all(answers.map(incidentIdOf)));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    // The four at once may all reach the workflow, which drops the repeats; once one was accepted, the
    // API knows the incident has the alert and answers a fifth without sending it to Temporal again.
    const recognised = async (): Promise<number> =>
      (await metrics.alertsAlreadyDelivered.get()).values[0]?.value ?? 0;
    const before = await recognised();
    const again = await call('POST', '/api/v1/alertmanager', { token: TOKENS.alertmanager, body });
    expect(await incidentIdOf(again)).toBe(id);
    expect(await recognised()).toBe(before + 1);
    const s = await waitFor(String(id), (x) => x.alerts.length === 1 && x.duplicatesDropped >= 0);
    expect(s.alerts).toHaveLength(1);
    expect(s.alertsReceived).toBe(1);
    expect(s.duplicatesDropped + (await recognised())).toBeGreaterThanOrEqual(4);
    expect(await listed(`service=${svc}&status=open`)).toHaveLength(1);
    await call('POST', `/api/v1/incidents/${id}/resolve`, {
      token: TOKENS.alice,
      body: { reason: 'test done' },
    });
  });

  it('when only resolved alerts arrive for a group with no open incident, then nothing is opened', async () => {
    const svc = service('stale');
    const r = await call('POST', '/api/v1/alertmanager', {
      token: TOKENS.alertmanager,
      body: payload('ApiTestDown', svc, 'resolved'),
    });
    expect(r.status).toBe(202);
    const [result] = r.json['incidents'] as { status: string; incidentId: string }[];
    expect(result?.status).toBe('no-open-incident');
    expect(await exists(result?.incidentId ?? '')).toBe(false);
  });

  it('when a firing arrives after the same firing resolved and closed its incident, then it is late and opens nothing; a new firing opens it again', async () => {
    // With Alertmanager in a cluster each peer notifies: one peer's "firing" may come after another's "resolved".
    const svc = service('late');
    const firing = payload('ApiTestDown', svc, 'firing', { container: 'steadfast-test-api-absent' });
    const id = await incidentIdOf(
      await call('POST', '/api/v1/alertmanager', { token: TOKENS.alertmanager, body: firing }),
    );
    await waitFor(id, (s) => s.alerts.length === 1);
    await call('POST', '/api/v1/alertmanager', {
      token: TOKENS.alertmanager,
      body: payload('ApiTestDown', svc, 'resolved', { container: 'steadfast-test-api-absent' }),
    });
    // Closed, and its workflow ended: a late delivery to a run still ending would only join it.
    await client.workflow.getHandle(id).result();
    const closedRun = (await client.workflow.getHandle(id).describe()).runId;

    // Sent through a second API process, as another replica would take it: this one remembers the firing
    // it delivered a moment ago and would not send it to Temporal at all.
    const replica = await listen(await testApp(settings), '127.0.0.1', 0);
    const late = await call('POST', '/api/v1/alertmanager', {
      token: TOKENS.alertmanager,
      body: firing,
      base: replica.url,
    }).finally(() => replica.close());
    expect(late.status).toBe(202);
    expect(late.json['incidents']).toEqual([
      expect.objectContaining({ incidentId: id, status: 'already-resolved' }),
    ]);
    const after = await client.workflow.getHandle(id).describe();
    expect(after.runId).toBe(closedRun);
    expect(after.status.name).toBe('COMPLETED');

    // The same alert firing again, from a new start, is a new problem: the incident opens again.
    const refired = alertPayload({
      alertname: 'ApiTestDown',
      labels: { service: svc, severity: 'critical', container: 'steadfast-test-api-absent' },
      summary: `ApiTestDown on ${svc}`,
      status: 'firing',
      startsAt: '2026-11-24T07:00:00Z',
    });
    const again = await call('POST', '/api/v1/alertmanager', { token: TOKENS.alertmanager, body: refired });
    expect(again.json['incidents']).toEqual([
      expect.objectContaining({ incidentId: id, status: 'accepted' }),
    ]);
    const reopened = await client.workflow.getHandle(id).describe();
    expect(reopened.runId).not.toBe(closedRun);
    await waitFor(id, (s) => s.alerts.length === 1 && s.alerts[0]?.startsAt === '2026-11-24T07:00:00Z');
    await call('POST', `/api/v1/incidents/${id}/resolve`, {
      token: TOKENS.alice,
      body: { reason: 'test done' },
    });
  });

  it('when a person resolved an incident whose alert still fires, then the group sent again opens it again with that alert too, though this API process had delivered it', async () => {
    const svc = service('kept');
    const alert = (container: string) =>
      payload('ApiTestDown', svc, 'firing', { container }).alerts[0] as Record<string, unknown>;
    const first = payload('ApiTestDown', svc, 'firing', { container: 'steadfast-test-api-kept-a' });
    const id = await incidentIdOf(
      await call('POST', '/api/v1/alertmanager', { token: TOKENS.alertmanager, body: first }),
    );
    await waitFor(id, (s) => s.alerts.length === 1);
    const resolved = await call('POST', `/api/v1/incidents/${id}/resolve`, {
      token: TOKENS.alice,
      body: { reason: 'looking into it by hand' },
    });
    expect(resolved.status).toBe(200);
    await client.workflow.getHandle(id).result();
    const closedRun = (await client.workflow.getHandle(id).describe()).runId;

    // Within the minute this process remembers what it delivered: the first alert, still firing, and a new one.
    const both = {
      ...first,
      commonLabels: { alertname: 'ApiTestDown', service: svc, severity: 'critical' },
      alerts: [alert('steadfast-test-api-kept-a'), alert('steadfast-test-api-kept-b')],
    };
    const again = await call('POST', '/api/v1/alertmanager', { token: TOKENS.alertmanager, body: both });
    expect(again.json['incidents']).toEqual([
      expect.objectContaining({ incidentId: id, status: 'accepted' }),
    ]);
    expect((await client.workflow.getHandle(id).describe()).runId).not.toBe(closedRun);
    const reopened = await waitFor(id, (s) => s.alerts.length === 2);
    expect(reopened.alerts.map((a) => a.labels['container']).sort()).toEqual([
      'steadfast-test-api-kept-a',
      'steadfast-test-api-kept-b',
    ]);
    await call('POST', `/api/v1/incidents/${id}/resolve`, {
      token: TOKENS.alice,
      body: { reason: 'test done' },
    });
  });

  it('when a person resolved an incident whose alert still fires, then the same webhook sent again within the minute opens it again', async () => {
    const { id, webhook } = await resolvedByHand('same-again', 'steadfast-test-api-same');
    const closedRun = (await client.workflow.getHandle(id).describe()).runId;

    // This API process delivered every alert in it moments ago, to the run that closed since.
    const again = await call('POST', '/api/v1/alertmanager', { token: TOKENS.alertmanager, body: webhook });
    expect(again.json['incidents']).toEqual([
      expect.objectContaining({ incidentId: id, status: 'accepted' }),
    ]);
    expect((await client.workflow.getHandle(id).describe()).runId).not.toBe(closedRun);
    await waitFor(id, (s) => s.alerts.length === 1 && s.stage !== 'closed');
    // While the new run runs, a third copy is recognised without a signal.
    const before = (await client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;
    await call('POST', '/api/v1/alertmanager', { token: TOKENS.alertmanager, body: webhook });
    const signals = (await client.workflow.getHandle(id).fetchHistory()).events
      ?.slice(before)
      .filter((e) => e.workflowExecutionSignaledEventAttributes);
    expect(signals).toEqual([]);
    await call('POST', `/api/v1/incidents/${id}/resolve`, {
      token: TOKENS.alice,
      body: { reason: 'test done' },
    });
  });

  it("when another sender's alert opened the incident again after a person resolved it, then an alert this API process had delivered to the closed run reaches the new one", async () => {
    const { id, webhook, svc } = await resolvedByHand('other-run', 'steadfast-test-api-run-a');

    // Another sender's alert of the same incident opens a new run, which never had the first alert.
    const other = payload('ApiTestDown', svc, 'firing', { container: 'steadfast-test-api-run-b' });
    expect(
      await incidentIdOf(await call('POST', '/api/v1/alertmanager', { token: TOKENS.alice, body: other })),
    ).toBe(id);
    await waitFor(id, (s) => s.alerts.length === 1 && s.stage !== 'closed');
    // The first sender's webhook again, within the minute this process remembers delivering it.
    const again = await call('POST', '/api/v1/alertmanager', { token: TOKENS.alertmanager, body: webhook });
    expect(again.json['incidents']).toEqual([
      expect.objectContaining({ incidentId: id, status: 'accepted' }),
    ]);

    const both = await waitFor(id, (s) => s.alerts.length === 2);
    expect(both.alerts.map((a) => `${a.sender}:${a.labels['container']}`).sort()).toEqual([
      'alertmanager:steadfast-test-api-run-a',
      'alice:steadfast-test-api-run-b',
    ]);
    await call('POST', `/api/v1/incidents/${id}/resolve`, {
      token: TOKENS.alice,
      body: { reason: 'test done' },
    });
  });

  it("when an alert's resolution arrives before its firing, then the late firing opens no incident that nothing would resolve", async () => {
    const svc = service('resolved-first');
    const resolved = await call('POST', '/api/v1/alertmanager', {
      token: TOKENS.alertmanager,
      body: payload('ApiTestDown', svc, 'resolved'),
    });
    expect(resolved.json['incidents']).toEqual([expect.objectContaining({ status: 'no-open-incident' })]);
    const id = await incidentIdOf(resolved);

    const late = await call('POST', '/api/v1/alertmanager', {
      token: TOKENS.alertmanager,
      body: payload('ApiTestDown', svc, 'firing'),
    });
    expect(late.status).toBe(202);
    expect(late.json['incidents']).toEqual([
      expect.objectContaining({ incidentId: id, status: 'already-resolved' }),
    ]);
    expect(await exists(id)).toBe(false);

    // A new firing of it (another startsAt) is news, and opens it.
    const anew = payload('ApiTestDown', svc, 'firing');
    const again = { ...anew, alerts: anew.alerts.map((a) => ({ ...a, startsAt: '2026-11-24T07:00:00Z' })) };
    const opened = await call('POST', '/api/v1/alertmanager', { token: TOKENS.alertmanager, body: again });
    expect(opened.json['incidents']).toEqual([
      expect.objectContaining({ incidentId: id, status: 'accepted' }),
    ]);
    expect(await exists(id)).toBe(true);
    await call('POST', `/api/v1/incidents/${id}/resolve`, {
      token: TOKENS.alice,
      body: { reason: 'test done' },
    });
  });

  it('when a generic alert without a startsAt fires again after its incident closed, then it opens it again: it names no one firing', async () => {
    const svc = service('generic-again');
    const alert = (status: 'firing' | 'resolved') => ({
      title: 'Generic again',
      severity: 'warning',
      service: svc,
      status,
    });
    const id = await incidentIdOf(
      await call('POST', '/api/v1/alerts', { token: TOKENS.alertmanager, body: alert('firing') }),
    );
    await waitFor(id, (s) => s.alerts.length === 1);
    await call('POST', '/api/v1/alerts', { token: TOKENS.alertmanager, body: alert('resolved') });
    await client.workflow.getHandle(id).result();
    const closedRun = (await client.workflow.getHandle(id).describe()).runId;
    const replica = await listen(await testApp(settings), '127.0.0.1', 0);
    const again = await call('POST', '/api/v1/alerts', {
      token: TOKENS.alertmanager,
      body: alert('firing'),
      base: replica.url,
    }).finally(() => replica.close());
    expect(again.json['incidents']).toEqual([
      expect.objectContaining({ incidentId: id, status: 'accepted' }),
    ]);
    expect((await client.workflow.getHandle(id).describe()).runId).not.toBe(closedRun);
    await call('POST', `/api/v1/incidents/${id}/resolve`, {
      token: TOKENS.alice,
      body: { reason: 'test done' },
    });
  });

  it("when another ingest token sends the resolution of an alert it did not fire, then the incident stays open, and the sender's own resolution closes it", async () => {
    const svc = service('not-yours');
    const alert = (status: 'firing' | 'resolved') => ({
      title: 'Checkout 5xx rate high',
      severity: 'critical',
      service: svc,
      labels: { alertname: 'Checkout5xx', team: 'pay' },
      status,
    });
    const id = await incidentIdOf(
      await call('POST', '/api/v1/alerts', { token: TOKENS.alertmanager, body: alert('firing') }),
    );
    await waitFor(id, (s) => s.alerts.length === 1);

    const forged = await call('POST', '/api/v1/alerts', { token: TOKENS.alice, body: alert('resolved') });
    expect(forged.status).toBe(202);
    const after = await waitFor(id, (s) => s.alerts.length === 2);
    // The resolution is on the record, by who sent it, as an alert of its own: the fired one still fires.
    expect(after.alerts.map((a) => [a.sender, a.status])).toEqual([
      ['alertmanager', 'firing'],
      ['alice', 'resolved'],
    ]);
    expect(after.timeline.map((t) => t.message)).toContain(
      'Checkout5xx resolved (from alice): Checkout 5xx rate high',
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect((await client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
    expect((await state(id)).stage).not.toBe('closed');

    await call('POST', '/api/v1/alerts', { token: TOKENS.alertmanager, body: alert('resolved') });
    await client.workflow.getHandle(id).result();
    expect((await state(id)).outcome).toBe('no-runbook');
  });

  it('when an approver approves through the API, then the recorded approver is the token identity and a real restart runs', async () => {
    const container = await startTestContainer(docker, 'steadfast-test-api');
    const before = (await container.inspect()).State.StartedAt;
    const svc = service('approve');
    const firing = payload('ApiTestDown', svc, 'firing', { container: 'steadfast-test-api' });
    const id = await incidentIdOf(
      await call('POST', '/api/v1/alertmanager', { token: TOKENS.alertmanager, body: firing }),
    );
    await waitFor(id, (s) => s.stage === 'approve');

    const early = await call('POST', `/api/v1/incidents/${id}/approve`, { token: TOKENS.viewer, body: {} });
    expect(early.status).toBe(403);
    const spoof = await call('POST', `/api/v1/incidents/${id}/approve`, {
      token: TOKENS.mallory,
      body: { actor: 'alice' },
    });
    expect(spoof.status).toBe(400);
    const mallory = await call('POST', `/api/v1/incidents/${id}/approve`, {
      token: TOKENS.mallory,
      body: {},
    });
    expect(mallory.status).toBe(403);
    expect(mallory.json['error']).toBe('NotAuthorized');
    expect((await state(id)).approvals).toEqual([]);
    // A decision names the approval round of the plan it was made on: another round's is refused.
    const otherRound = await call('POST', `/api/v1/incidents/${id}/approve`, {
      token: TOKENS.alice,
      body: { round: 1 },
    });
    expect(otherRound.status).toBe(409);
    expect(otherRound.json['error']).toBe('StaleDecision');
    expect(String(otherRound.json['message'])).toMatch(
      /made on approval round 1, but the incident is in round 0/,
    );
    const badRound = await call('POST', `/api/v1/incidents/${id}/approve`, {
      token: TOKENS.alice,
      body: { round: -1 },
    });
    expect(badRound.status).toBe(400);
    // And when the incident it was made on opened: an earlier opening of this ID (it closed since) is refused.
    const earlier = await call('POST', `/api/v1/incidents/${id}/approve`, {
      token: TOKENS.alice,
      body: { round: 0, opened: '2026-01-01T00:00:00.000Z' },
    });
    expect(earlier.status).toBe(409);
    expect(earlier.json['error']).toBe('StaleDecision');
    expect(String(earlier.json['message'])).toMatch(/made on an earlier opening of incident/);
    // The same for a resolution or an acknowledgement made on the earlier opening.
    for (const verb of ['resolve', 'acknowledge']) {
      const stale = await call('POST', `/api/v1/incidents/${id}/${verb}`, {
        token: TOKENS.alice,
        body: { opened: '2026-01-01T00:00:00.000Z' },
      });
      expect([verb, stale.status, stale.json['error']]).toEqual([verb, 409, 'StaleDecision']);
    }
    const notATime = await call('POST', `/api/v1/incidents/${id}/approve`, {
      token: TOKENS.alice,
      body: { opened: 'yesterday' },
    });
    expect(notATime.status).toBe(400);
    expect((await state(id)).approvals).toEqual([]);

    const ok = await call('POST', `/api/v1/incidents/${id}/approve`, {
      token: TOKENS.alice,
      body: { reason: 'restart it', round: 0, opened: (await state(id)).openedAt },
    });
    expect(ok.status).toBe(200);
    expect(ok.json['actor']).toBe('alice');
    const twice = await call('POST', `/api/v1/incidents/${id}/approve`, { token: TOKENS.alice, body: {} });
    expect(twice.status).toBe(409);
    expect(twice.json['error']).toBe('AlreadyDecided');

    await waitFor(id, (s) => s.stage === 'verify');
    expect((await container.inspect()).State.StartedAt).not.toBe(before);
    // Verification without PromQL waits for the alerts to resolve, as Alertmanager reports.
    await call('POST', '/api/v1/alertmanager', {
      token: TOKENS.alertmanager,
      body: payload('ApiTestDown', svc, 'resolved', { container: 'steadfast-test-api' }),
    });
    const closed = await waitFor(id, (s) => s.stage === 'closed');
    expect(closed.outcome).toBe('verified');
    expect(closed.approvals).toEqual([
      expect.objectContaining({ actor: 'alice', decision: 'approved', via: 'api' }),
    ]);

    const late = await call('POST', `/api/v1/incidents/${id}/reject`, { token: TOKENS.alice, body: {} });
    expect(late.status).toBe(409);
    expect(late.json['error']).toBe('IncidentClosed');
    expect(await listed(`service=${svc}&status=closed`)).toEqual([
      expect.objectContaining({ incidentId: id, outcome: 'verified', runbook: 'restart', status: 'closed' }),
    ]);
  });

  it('when a real Alertmanager fires and then resolves an alert, then its webhook opens the incident and closes it', async () => {
    const svc = service('am');
    const alertmanager = await startAlertmanager(`${server.url}/api/v1/alertmanager`, TOKENS.alertmanager);
    try {
      const labels = { alertname: 'ApiTestFromAlertmanager', service: svc, severity: 'warning' };
      await alertmanager.fire([{ labels, annotations: { summary: 'queue depth high' } }]);
      let listed: { incidentId: string }[] = [];
      const deadline = Date.now() + 30_000;
      while (listed.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        const list = await call('GET', `/api/v1/incidents?service=${svc}`, { token: TOKENS.viewer });
        listed = list.json['incidents'] as { incidentId: string }[];
      }
      expect(listed).toHaveLength(1);
      const id = listed[0]?.incidentId ?? '';
      const open = await waitFor(id, (s) => s.stage === 'recommend' && s.recommendation === null);
      expect(open.alerts).toEqual([
        expect.objectContaining({
          source: 'alertmanager',
          status: 'firing',
          alertName: 'ApiTestFromAlertmanager',
        }),
      ]);
      expect(open.alerts[0]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(open.title).toBe('queue depth high');

      await alertmanager.fire([{ labels, endsAt: new Date().toISOString() }]);
      const closed = await waitFor(id, (s) => s.stage === 'closed');
      expect(closed.outcome).toBe('no-runbook');
      expect(closed.alerts[0]?.status).toBe('resolved');
    } finally {
      await alertmanager.close();
    }
  });

  it('accepts generic alerts from other sources and answers 404 for an unknown incident', async () => {
    const svc = service('generic');
    const r = await call('POST', '/api/v1/alerts', {
      token: TOKENS.alertmanager,
      body: {
        title: 'Queue backlog growing',
        severity: 'warning',
        service: svc,
        labels: { queue: 'orders' },
      },
    });
    expect(r.status).toBe(202);
    const id = await incidentIdOf(r);
    const s = await waitFor(id, (x) => x.recommendation !== undefined);
    expect(s.service).toBe(svc);
    expect(s.alertName).toBe('Queue_backlog_growing');
    expect(s.recommendation).toBeNull();
    const bad = await call('POST', '/api/v1/alerts', { token: TOKENS.alertmanager, body: { title: 'x' } });
    expect(bad.status).toBe(400);
    expect(
      (await call('GET', '/api/v1/incidents/incident-nope-0000000000', { token: TOKENS.viewer })).status,
    ).toBe(404);
    expect(
      (await call('GET', `/api/v1/incidents?service=x'%20OR%201=1`, { token: TOKENS.viewer })).status,
    ).toBe(400);
    await call('POST', `/api/v1/incidents/${id}/resolve`, { token: TOKENS.alice, body: {} });
    expect((await waitFor(id, (x) => x.stage === 'closed')).outcome).toBe('resolved');
  });

  it('when Temporal cannot be reached, then the webhook answers 503 so that Alertmanager retries', async () => {
    const offline = await startOfflineApi({ STEADFAST_API_TOKEN: TOKENS.alice });
    try {
      const started = Date.now();
      const r = await call('POST', '/api/v1/alertmanager', {
        base: offline.url,
        token: TOKENS.alice,
        body: payload('ApiTestDown', service('offline')),
      });
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('5');
      expect(Date.now() - started).toBeLessThan(10_000);
      const health = await call('GET', '/api/v1/health', { base: offline.url });
      expect(health.status).toBe(503);
    } finally {
      await offline.close();
    }
  });

  it('when an approver pauses remediation, then the guard records who and why, and only approvers may pause or resume', async () => {
    const before = await call('GET', '/api/v1/remediation/guard', { token: TOKENS.viewer });
    expect(before.status).toBe(200);
    expect(before.json['guard']).toMatchObject({ paused: null });

    expect(
      (await call('POST', '/api/v1/remediation/pause', { token: TOKENS.viewer, body: { reason: 'x' } }))
        .status,
    ).toBe(403);
    const empty = await call('POST', '/api/v1/remediation/pause', {
      token: TOKENS.alice,
      body: { reason: '  ' },
    });
    expect(empty.status).toBe(400);
    expect(empty.json['message']).toMatch(/^invalid pause request: reason: /);
    const extra = await call('POST', '/api/v1/remediation/pause', {
      token: TOKENS.alice,
      body: { reason: 'x', actor: 'someone-else' },
    });
    expect(extra.status).toBe(400);

    const paused = await call('POST', '/api/v1/remediation/pause', {
      token: TOKENS.alice,
      body: { reason: 'database failover in progress' },
    });
    expect(paused.status).toBe(200);
    expect(paused.json['guard']).toMatchObject({
      paused: { actor: 'alice', reason: 'database failover in progress' },
    });
    // Pausing twice keeps the first pause: who paused first is who people should ask.
    const again = await call('POST', '/api/v1/remediation/pause', {
      token: TOKENS.mallory,
      body: { reason: 'me too' },
    });
    expect(again.json['guard']).toMatchObject({ paused: { actor: 'alice' } });
    const seen = await call('GET', '/api/v1/remediation/guard', { token: TOKENS.viewer });
    expect(seen.json['guard']).toMatchObject({
      paused: { actor: 'alice', reason: 'database failover in progress' },
    });

    // A resume takes nothing: a reason sent with it is refused, not dropped, and the pause stays.
    const withReason = await call('POST', '/api/v1/remediation/resume', {
      token: TOKENS.alice,
      body: { reason: 'failover done' },
    });
    expect(withReason.status).toBe(400);
    expect(String(withReason.json['message'])).toMatch(/resume request/);
    expect(
      (await call('GET', '/api/v1/remediation/guard', { token: TOKENS.viewer })).json['guard'],
    ).toMatchObject({
      paused: { actor: 'alice' },
    });
    const resumed = await call('POST', '/api/v1/remediation/resume', { token: TOKENS.alice, body: {} });
    expect(resumed.status).toBe(200);
    expect(resumed.json['guard']).toMatchObject({ paused: null });
  });

  it('exposes its own metrics on /metrics', async () => {
    const r = await fetch(`${server.url}/metrics`);
    const text = await r.text();
    expect(text).toMatch(/steadfast_alerts_received_total\{source="alertmanager",status="firing"\} [1-9]/);
    expect(text).toMatch(/steadfast_incidents_started_total [1-9]/);
  });
});
