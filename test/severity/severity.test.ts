/**
 * The severity model on a real Temporal server, through the real API and worker: people's corrections
 * teach it, a closed incident's outcome teaches it, and a new incident's triage carries its suggestion
 * (and a timeline line when it disagrees with the label, which stays the incident's severity).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/incident.js';
import { severityWorkflowId } from '../../src/workflows/severity.js';
import { recordHistory } from '../support/scenario.js';
import {
  alertPayload,
  incidentIdOf,
  startApiHarness,
  TOKENS,
  type ApiHarness,
} from '../support/api-harness.js';

const run = Date.now().toString(36);
let api: ApiHarness;

interface Model {
  examples: { severity: string; weight: number }[];
  lessons: number;
  corrections: { incidentId: string; actor: string; severity: string; label: string; reason?: string }[];
}

const triaged = (s: IncidentState) => s.detection !== undefined && s.recommendation !== undefined;

async function open(
  alertname: string,
  service: string,
  summary: string,
  severity = 'warning',
): Promise<string> {
  const r = await api.call('POST', '/api/v1/alertmanager', {
    token: TOKENS.alice,
    body: alertPayload({ alertname, labels: { service, severity }, summary }),
  });
  expect(r.status, r.text).toBe(202);
  const id = await incidentIdOf(r);
  await api.waitFor(id, triaged);
  return id;
}

const model = async (): Promise<Model> => {
  const r = await api.call('GET', '/api/v1/severity', { token: TOKENS.viewer });
  expect(r.status, r.text).toBe(200);
  return r.json as unknown as Model;
};
const weightOf = (m: Model, severity: string) => m.examples.find((e) => e.severity === severity)?.weight ?? 0;
const correct = (id: string, body: unknown, token = TOKENS.alice) =>
  api.call('POST', `/api/v1/incidents/${id}/severity`, { token, body });

beforeAll(async () => {
  api = await startApiHarness({ taskQueue: `severity-tests-${run}`, runbooks: {} });
});
afterAll(async () => {
  await api?.stop();
});

describe('the severity model', () => {
  const disk: string[] = [];

  it('is still learning at first: triage says so and adds no line to the timeline', async () => {
    disk.push(await open('DiskAlmostFull', `db-a-${run}`, 'disk almost full on the orders database'));
    const s = await api.state(disk[0] ?? '');
    expect(s.detection?.severity).toMatchObject({ status: 'learning', label: 'warning', examples: 0 });
    expect(s.timeline.some((t) => t.event === 'severity-suggested')).toBe(false);
  });

  it('learns from corrections, each counted once, recorded with who and why', async () => {
    disk.push(await open('DiskAlmostFull', `db-b-${run}`, 'disk almost full on the billing database'));
    const latency = await open('SlowRequests', `web-${run}`, 'requests slower than the target');
    for (const id of disk) {
      const r = await correct(id, { severity: 'critical', reason: 'a full disk stops writes' });
      expect(r.status, r.text).toBe(200);
      expect(r.json).toMatchObject({ learned: true, incidentId: id, severity: 'critical', label: 'warning' });
    }
    // A retried request changes nothing.
    expect(
      (await correct(disk[0] ?? '', { severity: 'critical', reason: 'a full disk stops writes' })).status,
    ).toBe(200);
    expect((await correct(latency, { severity: 'warning' })).status).toBe(200);
    const m = await model();
    // The model itself, with the lessons and corrections above, for the replay test.
    await recordHistory(api.client, severityWorkflowId(api.settings.temporal.taskQueue), 'severity-workflow');
    expect(weightOf(m, 'critical')).toBe(6);
    expect(weightOf(m, 'warning')).toBe(3);
    expect(m.corrections.filter((c) => disk.includes(c.incidentId))).toHaveLength(2);
    expect(m.corrections[0]).toMatchObject({
      actor: 'alice',
      reason: 'a full disk stops writes',
      label: 'warning',
    });
  });

  it('refuses bad corrections and learns nothing from them', async () => {
    const before = await model();
    const id = disk[0] ?? '';
    const bad = await correct(id, { severity: 'CRITICAL!' });
    expect(bad.status).toBe(400);
    expect((await correct(id, { severity: 'critical', actor: 'mallory' })).status).toBe(400);
    expect((await correct('no-such-incident', { severity: 'critical' })).status).toBe(404);
    expect((await correct(id, { severity: 'critical' }, TOKENS.viewer)).status).toBe(403);
    expect(await model()).toEqual(before);
  });

  it('suggests the learned severity for a new incident of the same kind, keeping its label', async () => {
    const id = await open('DiskAlmostFull', `db-c-${run}`, 'disk almost full on the search database');
    const s = await api.state(id);
    expect(s.severity).toBe('warning');
    expect(s.detection?.severity).toMatchObject({
      status: 'suggested',
      severity: 'critical',
      label: 'warning',
    });
    expect(s.detection?.severity?.because).toContain('alertname=DiskAlmostFull');
    const line = s.timeline.find((t) => t.event === 'severity-suggested');
    expect(line?.message).toMatch(/suggests severity critical instead of the label's warning/);
  });

  it('learns from an outcome: an incident that resolved by itself in minutes teaches info', async () => {
    const before = weightOf(await model(), 'info');
    const labels = { service: `flappy-${run}`, severity: 'critical' };
    // One firing: its resolution carries the same start.
    const startsAt = new Date(Date.now() - 20_000).toISOString();
    const send = (status: 'firing' | 'resolved') =>
      api.call('POST', '/api/v1/alertmanager', {
        token: TOKENS.alice,
        body: alertPayload({
          alertname: 'Flapping',
          labels,
          summary: 'flaps now and then',
          status,
          startsAt,
        }),
      });
    const id = await incidentIdOf(await send('firing'));
    await api.waitFor(id, triaged);
    expect((await send('resolved')).status).toBe(202);
    await api.waitFor(id, (s) => s.stage === 'closed');
    const deadline = Date.now() + 15_000;
    while (weightOf(await model(), 'info') === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(weightOf(await model(), 'info')).toBe(before + 1);
  });
});
