/**
 * Killing an incident with size (issue 12, item 3), on a real Temporal server behind the real API.
 * Before the bounds, two 1 MB webhooks to one incident made a 2.26 MB state, past Temporal's 2 MB payload
 * limit, and a `service` label of 700 × "€" (2,102 bytes of JSON) past the 2,048-byte search attribute
 * limit: either way the server terminated the workflow, with no report and no rollback.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { alertmanagerPayloadSchema, alertsFromAlertmanager } from '../../src/domain/alert.js';
import { correlate } from '../../src/domain/correlation.js';
import type { IncidentState } from '../../src/domain/incident.js';
import type { incidentWorkflow } from '../../src/workflows/incident.js';
import {
  alertsSignal,
  INCIDENT_WORKFLOW_TYPE,
  resolveUpdate,
  stateQuery,
} from '../../src/workflows/messages.js';
import { ALERT_BOUNDS } from '../../src/workflows/alerts.js';
import { SA, SEARCH_ATTRIBUTE_VALUE_BYTES } from '../../src/workflows/search-attributes.js';
import { startApiHarness, TOKENS, type ApiHarness } from '../support/api-harness.js';
import { makeAlert, recordHistory, startIncident, waitForState } from '../support/scenario.js';
import { webhookBody, type WebhookAlert } from '../support/webhook.js';

const TASK_QUEUE = 'security-bounded';
const MAX_BODY = 1_048_576; // STEADFAST_MAX_BODY_BYTES's default, which the harness keeps
const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));
const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

let api: ApiHarness;
let client: Client;

beforeAll(async () => {
  // No runbook matches, so the incident waits for its alerts to resolve: the longest a flood can pile up.
  api = await startApiHarness({ taskQueue: TASK_QUEUE, runbooks: {} });
  client = api.client;
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

const run = Date.now().toString(36);

/** One alert as Alertmanager sends it: many labels, three annotations of 8 KiB (each at its limit). */
function floodAlert(service: string, i: number, status: 'firing' | 'resolved', startsAt: string) {
  const labels: Record<string, string> = { alertname: 'BoundedFlood', service, instance: `host-${i}:9100` };
  for (let l = 0; l < 20; l++) labels[`team_label_${l}`] = `value-${l}-`.padEnd(200, 'v');
  const annotations: Record<string, string> =
    status === 'firing'
      ? {
          summary: `flood alert ${i}`,
          description: '€'.repeat(2730), // 8,190 bytes
          runbook_notes: 'n'.repeat(8000),
          details: 'ä'.repeat(4000),
        }
      : {};
  return { status, labels, annotations, startsAt, fingerprint: `flood-${run}-${i}` } satisfies WebhookAlert;
}

function webhook(service: string, alerts: ReturnType<typeof floodAlert>[]) {
  return webhookBody(
    { groupLabels: { alertname: 'BoundedFlood', service }, externalURL: 'http://127.0.0.1:9093' },
    alerts,
  );
}

/** The alerts in webhooks each as close to the body limit as whole alerts allow. */
function webhooks(service: string, alerts: ReturnType<typeof floodAlert>[]) {
  const bodies: ReturnType<typeof webhook>[] = [];
  let batch: ReturnType<typeof floodAlert>[] = [];
  for (const alert of alerts) {
    if (batch.length > 0 && bytes(webhook(service, [...batch, alert])) > MAX_BODY - 1024) {
      bodies.push(webhook(service, batch));
      batch = [];
    }
    batch.push(alert);
  }
  if (batch.length > 0) bodies.push(webhook(service, batch));
  return bodies;
}

/** Distinct firing alerts in full webhooks, at least `totalBytes` of them. */
function flood(service: string, totalBytes: number, startsAt: string) {
  const one = bytes(floodAlert(service, 0, 'firing', startsAt));
  const count = Math.ceil((totalBytes * 1.02) / one);
  const bodies = webhooks(
    service,
    Array.from({ length: count }, (_, i) => floodAlert(service, i, 'firing', startsAt)),
  );
  return { bodies, alerts: count, sent: bodies.reduce((n, b) => n + bytes(b), 0) };
}

async function deliver(body: unknown): Promise<{ status: number; incidentId: string }> {
  const r = await api.call('POST', '/api/v1/alertmanager', { token: TOKENS.alice, body });
  const [incident] = (r.json['incidents'] ?? []) as { incidentId: string }[];
  if (r.status !== 202 || !incident) throw new Error(`webhook answered ${r.status}: ${r.text.slice(0, 300)}`);
  return { status: r.status, incidentId: incident.incidentId };
}

describe('an incident cannot be killed with size', () => {
  it('when 10 MB of alerts arrive for one incident, then its state stays small and it still closes with its report', async () => {
    const service = `flood-${run}`;
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const { bodies, alerts, sent } = flood(service, 10 * 1024 * 1024, startsAt);
    // What the state would hold without the bounds: every alert whole (the old code kept each one).
    const unbounded = bodies.reduce((n, b) => n + bytes(b.alerts), 0);
    expect(sent).toBeGreaterThan(10 * 1024 * 1024);
    expect(bodies.every((b) => bytes(b) <= MAX_BODY)).toBe(true);

    let incidentId = '';
    for (const body of bodies) incidentId = (await deliver(body)).incidentId;
    // One annotation of almost the whole body: cut at the edge to 8 KiB.
    const huge = floodAlert(service, alerts, 'firing', startsAt);
    huge.annotations = { ...huge.annotations, description: 'h'.repeat(MAX_BODY - 64_000) };
    await deliver(webhook(service, [huge]));
    // Alertmanager delivers at least once. This API recognises a whole webhook again as delivered, and
    // another replica, which never saw it, sends it on: the workflow's ledger counts only duplicates.
    await deliver(bodies[0]);
    const handle = client.workflow.getHandle<typeof incidentWorkflow>(incidentId);
    await handle.signal(
      alertsSignal,
      alertsFromAlertmanager(alertmanagerPayloadSchema.parse(bodies[0]), 'alice'),
    );

    const received = alerts + 1;
    const open = await waitForState(
      handle,
      (s) => s.alertsReceived === received && s.duplicatesDropped > 0,
      120_000,
    );
    const stateBytes = bytes(open);
    expect(stateBytes).toBeLessThan(512 * 1024);
    expect(open.alerts.length).toBeLessThanOrEqual(ALERT_BOUNDS.kept);
    expect(open.alerts.length + (open.alertsDropped ?? 0)).toBe(received);
    expect(open.duplicatesDropped).toBe(bodies[0]?.alerts.length);
    expect(open.alerts.at(-1)?.annotations['description']).toMatch(/^h+…\(cut\)$/);
    expect(open.timeline.filter((t) => t.event === 'alert-firing').length).toBeLessThanOrEqual(40);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    // A decision answers with itself, not the state: a few hundred bytes however large the incident.
    const ack = await api.call('POST', `/api/v1/incidents/${incidentId}/acknowledge`, {
      token: TOKENS.alice,
      body: { reason: 'watching the flood' },
    });
    expect(ack.status).toBe(200);
    expect(ack.json['incident']).toEqual(
      expect.objectContaining({ incidentId, decision: 'acknowledged', actor: 'alice' }),
    );
    expect(Object.keys(ack.json['incident'] ?? {}).sort()).toEqual([
      'actor',
      'at',
      'decision',
      'incidentId',
      'stage',
    ]);
    expect(ack.text.length).toBeLessThan(400);

    // Every alert resolves but the second, which the incident no longer holds whole (the first, which
    // opened it, is held while it fires): it must stay open.
    const resolved = (from: number, to: number) =>
      webhooks(
        service,
        Array.from({ length: to - from }, (_, k) => floodAlert(service, from + k, 'resolved', startsAt)),
      );
    for (const body of [...resolved(0, 1), ...resolved(2, received)]) await deliver(body);
    await waitForState(handle, (s) => s.alerts.every((a) => a.status === 'resolved'), 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    const waiting = await handle.query(stateQuery);
    expect(waiting.alerts.some((a) => a.fingerprint === `flood-${run}-1`)).toBe(false);
    expect(waiting.stage).not.toBe('closed');

    for (const body of resolved(1, 2)) await deliver(body);
    const final: IncidentState = await handle.result();
    expect(final.outcome).toBe('no-runbook');
    expect(final.alertsReceived).toBe(received);
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    const report = await readFile(join(api.reportsDir, `${incidentId}.html`), 'utf8');
    expect(report).toContain(incidentId);
    expect(report).toContain(
      `${received} (${final.duplicatesDropped} duplicate deliveries dropped; the latest`,
    );

    // The payloads of the last run, each far below the 2 MB limit: the result (the state), and what the
    // closing activity was given.
    // Read with room for a page past gRPC's default 4 MiB: the last run's history holds webhooks of a
    // megabyte each, and how many of them share a page depends on when the run continued as new.
    const wide = await Connection.connect({
      address: inject('temporalAddress'),
      channelArgs: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
    });
    const history = await new Client({ connection: wide }).workflow
      .getHandle(incidentId, description.runId)
      .fetchHistory()
      .finally(() => wide.close());
    const closing = history.events?.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordIncidentClosed',
    );
    const closingInput =
      closing?.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data?.length ?? 0;
    const resultBytes =
      history.events?.find((e) => e.workflowExecutionCompletedEventAttributes)
        ?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]?.data?.length ?? 0;
    expect(closingInput).toBeGreaterThan(0);
    expect(closingInput).toBeLessThan(512 * 1024);
    expect(resultBytes).toBeLessThan(512 * 1024);
    console.log(
      `[bounded] ${bodies.length + 2} webhooks, ${(sent / 1048576).toFixed(2)} MiB, ${received} distinct alerts: ` +
        `state held ${kib(stateBytes)} while open (the alerts alone, unbounded: ${(unbounded / 1048576).toFixed(2)} MiB); ` +
        `result ${kib(resultBytes)}, recordIncidentClosed input ${kib(closingInput)}; ` +
        `held ${open.alerts.length}, dropped ${open.alertsDropped}, duplicates ${open.duplicatesDropped}, continued as new ${final.timeline.filter((t) => t.event === 'continued-as-new').length} time(s)`,
    );
  }, 300_000);

  it('when a service label is 700 × "€" (2,102 bytes), then the webhook is refused and no incident starts', async () => {
    const service = '€'.repeat(700);
    const body = webhook(service, [floodAlert(service, 0, 'firing', new Date().toISOString())]);

    const r = await api.call('POST', '/api/v1/alertmanager', { token: TOKENS.alice, body });

    expect(r.status).toBe(400);
    expect(r.json['message']).toMatch(/labels\.service: a label value is at most 1024 bytes of UTF-8/);
    const { incidentId } = correlate(
      body.commonLabels,
      `steadfast/${body.groupKey}`,
      api.settings.correlationLabels,
    );
    await expect(client.workflow.getHandle(incidentId).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });

  it('when such a label reaches the workflow all the same (a raw signal), then its search attributes are cut and it is not terminated', async () => {
    // The server does refuse the whole value: a start that sets it is turned away.
    const refused = await client.workflow
      .start(INCIDENT_WORKFLOW_TYPE, {
        workflowId: `bounded-control-${run}`,
        taskQueue: 'nobody-polls-this',
        args: [],
        typedSearchAttributes: [{ key: SA.service, value: '€'.repeat(700) }],
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(String((refused as Error).cause)).toMatch(/exceeds size limit 2048/);

    const id = `bounded-sa-${run}`;
    // 1,024 bytes, within the label limit, yet 6,146 bytes as JSON: the search attribute cut counts JSON.
    const control = '\u0001'.repeat(1024);
    const handle = await startIncident(client, TASK_QUEUE, id, [
      makeAlert({ alertName: control + 'Ü'.repeat(100), labels: { service: '€'.repeat(700) } }),
    ]);

    const waiting = await waitForState(handle, (s) => s.stage !== 'collect' && s.stage !== 'detect', 60_000);
    expect(waiting.service).toBe('€'.repeat(700));
    const described = await handle.describe();
    expect(described.status.name).toBe('RUNNING');
    const service = described.typedSearchAttributes.get(SA.service) ?? '';
    const alertName = described.typedSearchAttributes.get(SA.alertName) ?? '';
    expect(service).toMatch(/^€+…$/);
    expect(bytes(service)).toBeLessThanOrEqual(SEARCH_ATTRIBUTE_VALUE_BYTES);
    expect(bytes(alertName)).toBeLessThanOrEqual(SEARCH_ATTRIBUTE_VALUE_BYTES);

    const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect(resolved).toEqual(
      expect.objectContaining({ incidentId: id, decision: 'resolved', actor: 'alice' }),
    );
    const final = await handle.result();
    expect(final.outcome).toBe('resolved');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  }, 120_000);

  it('when thousands of alerts push a firing one out of the ledger and then resolve, then the incident stays open for a person', async () => {
    const id = `bounded-ledger-${run}`;
    const handle = await startIncident(client, TASK_QUEUE, id, [
      makeAlert({ alertName: 'LedgerFlood', labels: { service: 'ledger' }, fingerprint: 'real-alert' }),
    ]);
    await waitForState(handle, (s) => s.stage !== 'collect' && s.stage !== 'detect', 60_000);
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const batch = (from: number, status: 'firing' | 'resolved') =>
      Array.from({ length: 1000 }, (_, i) => ({
        ...makeAlert({
          alertName: 'LedgerFlood',
          labels: { service: 'ledger' },
          fingerprint: `attack-${from + i}`,
          startsAt,
        }),
        status,
      }));
    const attackers = ALERT_BOUNDS.tracked + 1000;
    for (const status of ['firing', 'resolved'] as const)
      for (let from = 0; from < attackers; from += 1000)
        await handle.signal(alertsSignal, batch(from, status));

    const after = await waitForState(handle, (s) => (s.alertsReceived ?? 0) > attackers, 60_000);
    expect(after.firingUntracked).toBeGreaterThan(0);
    expect(after.outcome).toBeUndefined();
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect(resolved).toEqual(expect.objectContaining({ incidentId: id, decision: 'resolved' }));
    expect((await handle.result()).outcome).toBe('resolved');
  }, 180_000);

  it('when 50 alerts follow the one that opened the incident, then it stays held and the incident reads its labels', async () => {
    const id = `bounded-opening-${run}`;
    const real = makeAlert({
      alertName: 'OpeningAlert',
      labels: { service: 'opening', container: 'web-1' },
      fingerprint: 'opening-real',
    });
    const handle = await startIncident(client, TASK_QUEUE, id, [real]);
    await handle.signal(
      alertsSignal,
      Array.from({ length: 50 }, (_, i) =>
        makeAlert({
          alertName: 'OpeningAlert',
          labels: { service: 'opening', container: 'evil-db' },
          fingerprint: `opening-evil-${i}`,
        }),
      ),
    );

    const state = await waitForState(handle, (s) => (s.alertsReceived ?? 0) === 51, 60_000);
    expect(state.alerts).toHaveLength(ALERT_BOUNDS.kept);
    expect(state.alerts[0]?.fingerprint).toBe('opening-real');
    expect(state.openedBy).toBe(real.dedupeKey);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect((await handle.result()).outcome).toBe('resolved');
    await recordHistory(client, id, 'opening-alert-held');
  }, 120_000);

  it('when an alert says its fault began at a time no Date can hold, then the incident ignores it and still closes', async () => {
    // Unix seconds past year 275760: finite, yet `toISOString` threw inside the workflow, so every
    // workflow task failed and the incident could be neither read nor resolved.
    const id = `bounded-fault-${run}`;
    const handle = await startIncident(client, TASK_QUEUE, id, [
      makeAlert({
        alertName: 'FaultTime',
        labels: { service: 'fault-time' },
        annotations: { summary: 'fault time', fault_started_at: '99999999999999' },
      }),
    ]);

    const waiting = await waitForState(handle, (s) => s.stage !== 'collect' && s.stage !== 'detect', 60_000);
    expect(waiting.alertName).toBe('FaultTime');
    expect(waiting.milestones.fault).toBeUndefined();
    const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect(resolved).toEqual(expect.objectContaining({ incidentId: id, decision: 'resolved' }));
    expect((await handle.result()).outcome).toBe('resolved');
  }, 120_000);
});
