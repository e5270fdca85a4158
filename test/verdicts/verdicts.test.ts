/**
 * Verdicts on real incidents: a real worker and the real API on the suite's Temporal dev server. People's
 * verdicts on open and closed incidents, replaced and audited; refusals that change nothing; the
 * evidence's verdict on an incident whose alerts resolved by themselves; the metrics; a noisy rule flagged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verdictLedger } from '../../src/verdicts/client.js';
import type { LedgerState } from '../../src/verdicts/ledger.js';
import { verdictLedgerWorkflowId } from '../../src/workflows/verdicts.js';
import { recordHistory } from '../support/scenario.js';
import {
  alertPayload,
  incidentIdOf,
  startApiHarness,
  TOKENS,
  type ApiHarness,
} from '../support/api-harness.js';

const TASK_QUEUE = 'verdict-tests';
const run = Date.now().toString(36);
let api: ApiHarness;

const alice = { token: TOKENS.alice };
const mallory = { token: TOKENS.mallory };
const viewer = { token: TOKENS.viewer };

/** When every test alert started firing: its resolution must name the same firing. */
const startsAt = new Date(Date.now() - 20_000).toISOString();

/** Opens an incident (no runbook matches, so it waits for people) and returns its ID. */
async function open(alertname: string, service: string): Promise<string> {
  const body = alertPayload({
    alertname,
    labels: { service, severity: 'warning' },
    summary: 'a verdict test',
    startsAt,
  });
  const r = await api.call('POST', '/api/v1/alertmanager', { ...alice, body });
  expect(r.status, r.text).toBe(202);
  return incidentIdOf(r);
}

/** Resolves the incident's alert, as Alertmanager would, and waits for its workflow to end. */
async function selfResolve(id: string, alertname: string, service: string): Promise<void> {
  const body = alertPayload({
    alertname,
    labels: { service, severity: 'warning' },
    summary: 'a verdict test',
    status: 'resolved',
    startsAt,
  });
  expect((await api.call('POST', '/api/v1/alertmanager', { ...alice, body })).status).toBe(202);
  // Its run ends once recordIncidentClosed (which files the evidence) has run.
  await api.client.workflow.getHandle(id).result();
}

const verdictOn = (id: string, body: unknown, who = alice) =>
  api.call('POST', `/api/v1/incidents/${id}/verdict`, { ...who, body });

const ledger = (): Promise<LedgerState> => verdictLedger(api.client, TASK_QUEUE).read();

beforeAll(async () => {
  api = await startApiHarness({ taskQueue: TASK_QUEUE, runbooks: {} });
}, 60_000);

afterAll(async () => {
  await api?.stop();
});

describe('a person gives a verdict', () => {
  it('on an open incident, then replaces it: the later one wins and the earlier is kept with who and when', async () => {
    const id = await open('VerdictOpen', `verdict-open-${run}`);
    await api.waitFor(id, (s) => s.stage === 'recommend' && s.recommendation === null);

    const first = await verdictOn(id, { verdict: 'noise', note: 'flaps every deploy' });
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({
      incidentId: id,
      changed: true,
      verdict: { verdict: 'noise', source: 'person' },
      person: { verdict: 'noise', actor: 'alice', via: 'api', note: 'flaps every deploy' },
      replaced: [],
    });
    const again = await verdictOn(id, { verdict: 'noise', note: 'flaps every deploy' });
    expect(again.json).toMatchObject({
      changed: false,
      person: { at: (first.json['person'] as { at: string }).at },
    });

    const second = await verdictOn(id, { verdict: 'actionable', note: 'the disk really filled' }, mallory);
    expect(second.json).toMatchObject({
      changed: true,
      verdict: { verdict: 'actionable', source: 'person' },
      person: { actor: 'mallory', verdict: 'actionable' },
      replaced: [{ actor: 'alice', verdict: 'noise', note: 'flaps every deploy' }],
    });
    const read = await api.call('GET', `/api/v1/incidents/${id}/verdict`, viewer);
    expect(read.json).toMatchObject({ verdict: { verdict: 'actionable' }, person: { actor: 'mallory' } });
    // The incident itself was not touched: it still waits for people.
    expect((await api.state(id)).stage).toBe('recommend');
  });

  it('on a closed incident, over what the evidence said; a duplicate names the incident it duplicates', async () => {
    const service = `verdict-closed-${run}`;
    const id = await open('VerdictClosed', service);
    await selfResolve(id, 'VerdictClosed', service);
    const other = await open('VerdictOther', `verdict-other-${run}`);

    const given = await verdictOn(id, { verdict: 'duplicate', duplicateOf: other });
    expect(given.status, given.text).toBe(200);
    expect(given.json).toMatchObject({
      verdict: { verdict: 'duplicate', source: 'person', duplicateOf: other },
      evidence: { verdict: 'noise' },
    });
  });
});

describe('refusals change nothing', () => {
  it('an unknown incident is 404, a bad body 400, and the ledger is as it was', async () => {
    const id = await open('VerdictRefused', `verdict-refused-${run}`);
    const before = await ledger();

    const unknown = await verdictOn('no-such-incident', { verdict: 'noise' });
    expect(unknown.status).toBe(404);
    expect(unknown.json['error']).toBe('IncidentNotFound');
    // The remediation guard's workflow exists but is not an incident.
    expect((await verdictOn(`remediation-guard-${TASK_QUEUE}`, { verdict: 'noise' })).status).toBe(404);

    for (const body of [
      { verdict: 'maybe' },
      { verdict: 'duplicate' },
      { verdict: 'noise', duplicateOf: 'x' },
      { verdict: 'noise', actor: 'someone-else' },
      { verdict: 'duplicate', duplicateOf: id },
      { verdict: 'duplicate', duplicateOf: 'no-such-incident' },
      'noise',
    ]) {
      const r = await verdictOn(id, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json['message'], JSON.stringify(body)).toMatch(/verdict|duplicat/);
    }
    expect((await verdictOn(id, { verdict: 'noise' }, viewer)).status).toBe(403);
    expect(await ledger()).toEqual(before);
  });
});

describe('the evidence, the measures and the feedback', () => {
  it('alerts that resolved by themselves with nothing done are noise; a rule that keeps doing it is flagged', async () => {
    const alertname = `VerdictFlappy${run}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const service = `verdict-flappy-${i}-${run}`;
      const id = await open(alertname, service);
      await selfResolve(id, alertname, service);
      ids.push(id);
    }
    const got = await api.call('GET', `/api/v1/incidents/${ids[0]}/verdict`, viewer);
    expect(got.json).toMatchObject({
      person: null,
      verdict: { verdict: 'noise', source: 'evidence' },
      evidence: { verdict: 'noise' },
    });
    expect((got.json['evidence'] as { reason: string }).reason).toMatch(
      /resolved by themselves within 15 min/,
    );

    const summary = await api.call('GET', '/api/v1/verdicts', viewer);
    expect(summary.status, summary.text).toBe(200);
    expect(summary.json['flagged']).toContainEqual({
      kind: 'alertname',
      name: alertname,
      decided: 5,
      noise: 5,
      share: 1,
    });
    // Each service paged once: not enough verdicts to flag any of them.
    expect(JSON.stringify(summary.json['flagged'])).not.toContain(`verdict-flappy-0-${run}`);
    const fatigue = summary.json['fatigue'] as { pages: number; score: number; onCallHours: number };
    expect(fatigue.pages).toBeGreaterThanOrEqual(9);
    expect(fatigue.onCallHours).toBe(168);
    expect(fatigue.score).toBeGreaterThan(0);
    expect((await api.call('GET', '/api/v1/verdicts?timeZone=Mars/Olympus', viewer)).status).toBe(400);

    const metrics = (await api.call('GET', '/metrics')).text;
    const count = (name: string): number => Number(metrics.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]);
    expect(
      count(
        `steadfast_false_positive_total\\{source="evidence",incident_service="verdict-flappy-4-${run}"\\}`,
      ),
    ).toBe(1);
    expect(
      count(`steadfast_false_positive_total\\{source="person",incident_service="verdict-open-${run}"\\}`),
    ).toBe(1);
    // The closed incident had a person's verdict only after it closed: the evidence counted it.
    expect(count('steadfast_alerts_per_incident_count')).toBeGreaterThanOrEqual(6);
    expect(count(`steadfast_noisy_source\\{kind="alertname",name="${alertname}"\\}`)).toBe(1);
    expect(count('steadfast_alert_fatigue_score')).toBeCloseTo(fatigue.score, 1);
    // Triage of the rule's next incident says so, in its timeline.
    const next = await open(alertname, `verdict-flappy-next-${run}`);
    const noted = (await api.waitFor(next, (s) => s.detection !== undefined)).timeline.find(
      (t) => t.event === 'noisy-source',
    );
    expect(noted?.message).toMatch(new RegExp(`rule ${alertname} was judged noise in 5 of 5 incidents`));
    // The ledger itself, with the people's verdicts and the evidence above, for the replay test.
    await recordHistory(api.client, verdictLedgerWorkflowId(TASK_QUEUE), 'verdict-ledger-workflow');
  });
});
