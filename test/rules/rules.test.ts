/**
 * Escalation rules on real parts: the API in front of a real worker on the suite's Temporal dev server,
 * rules stored in their workflow, and real webhook receivers on loopback as the rules' recipients. A
 * rule whose condition an incident's labels satisfy pages its recipient after its delay (with a plan,
 * and without one); a rule that does not match pages nobody; a bad rule is refused and changes nothing.
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/incident.js';
import { rulesWorkflowId } from '../../src/workflows/rules.js';
import { testActivities } from '../support/activities.js';
import {
  alertPayload,
  incidentIdOf,
  startApiHarness,
  TOKENS,
  type ApiHarness,
} from '../support/api-harness.js';
import {
  atStage,
  makeAlert,
  recordHistory,
  startIncident,
  startWebhookSink,
  waitForState,
  waitRunbook,
} from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'rules-api';
const run = Date.now().toString(36);
const service = `checkout-${run}`;

type Sink = Awaited<ReturnType<typeof startWebhookSink>>;
let api: ApiHarness;
let matching: Sink;
let other: Sink;

const alice = { token: TOKENS.alice };
const viewer = { token: TOKENS.viewer };
const escalationsFor = (sink: Sink, id: string): unknown[] =>
  sink.received.filter((p) => (p as { incidentId?: string }).incidentId === id);

/** The rule that matches this file's incidents: tells `matching` 2 s after the wait begins. */
const checkoutRule = {
  name: 'Checkout critical',
  condition: `severity == "critical" AND service == "${service}"`,
  escalation: { delay: 2, channels: ['webhook', 'log'], recipients: [] as string[] },
};

beforeAll(async () => {
  [matching, other] = await Promise.all([startWebhookSink(), startWebhookSink()]);
  checkoutRule.escalation.recipients = [matching.url];
  api = await startApiHarness({
    taskQueue: TASK_QUEUE,
    runbooks: { 'wait.yaml': waitRunbook('RulesWithPlan') },
  });
});

afterAll(async () => {
  await api?.stop();
  await Promise.all([matching?.close(), other?.close()]);
});

async function rules(): Promise<{
  rules: { name: string }[];
  audit: { actor: string; action: string; rule: string }[];
}> {
  const r = await api.call('GET', '/api/v1/rules', viewer);
  expect(r.status).toBe(200);
  return r.json as never;
}

describe('the rules API', () => {
  it('refuses a bad condition with its column, unknown or unconfigured channels, and stores nothing', async () => {
    const bad = await api.call('POST', '/api/v1/rules', {
      ...alice,
      body: { ...checkoutRule, condition: 'severity = "critical"' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json['message']).toContain('condition: at column 10: unknown operator "="');
    const unknown = await api.call('POST', '/api/v1/rules', {
      ...alice,
      body: { ...checkoutRule, escalation: { ...checkoutRule.escalation, channels: ['pager'] } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json['message']).toMatch(/escalation\.channels\.0/);
    const slack = await api.call('POST', '/api/v1/rules', {
      ...alice,
      body: { ...checkoutRule, escalation: { delay: 60, channels: ['slack'], recipients: ['#ops'] } },
    });
    expect(slack.status).toBe(400);
    expect(slack.json).toMatchObject({ error: 'ChannelNotConfigured', message: /SLACK_BOT_TOKEN/ });
    const deep = await api.call('POST', '/api/v1/rules', {
      ...alice,
      body: { ...checkoutRule, condition: `${'('.repeat(30)}a == "x"${')'.repeat(30)}` },
    });
    expect(deep.status).toBe(400);
    expect(deep.json['message']).toMatch(/nested deeper than 16/);
    expect(await rules()).toEqual({ rules: [], audit: [] });
  });

  it('creates, replaces, lists with the audit, and deletes by name; an unknown name is 404', async () => {
    const created = await api.call('POST', '/api/v1/rules', { ...alice, body: checkoutRule });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({
      action: 'created',
      rule: { name: checkoutRule.name, createdBy: 'alice' },
    });
    // The other rule's delay is shorter: by the time the matching one pages, this one would have.
    const otherRule = {
      name: 'Search only',
      condition: 'service == "search"',
      escalation: { delay: '1s', channels: ['webhook'], recipients: [other.url] },
    };
    expect((await api.call('POST', '/api/v1/rules', { ...alice, body: otherRule })).status).toBe(201);
    const replaced = await api.call('POST', '/api/v1/rules', {
      token: TOKENS.mallory,
      body: { ...otherRule, condition: `service == "search" OR service == "search-${run}"` },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({
      action: 'replaced',
      rule: { createdBy: 'alice', updatedBy: 'mallory' },
    });

    const listed = await rules();
    expect(listed.rules.map((r) => r.name)).toEqual(['Checkout critical', 'Search only']);
    // A URL's path is its secret: the answer shows its origin only.
    expect(JSON.stringify(listed)).not.toContain('/hook');
    expect(listed.audit.map((a) => [a.action, a.rule, a.actor])).toEqual([
      ['replaced', 'Search only', 'mallory'],
      ['created', 'Search only', 'alice'],
      ['created', 'Checkout critical', 'alice'],
    ]);

    const throwaway = { ...otherRule, name: 'Throwaway' };
    expect((await api.call('POST', '/api/v1/rules', { ...alice, body: throwaway })).status).toBe(201);
    const deleted = await api.call('DELETE', '/api/v1/rules/Throwaway', alice);
    expect(deleted).toMatchObject({ status: 200, json: { deleted: 'Throwaway' } });
    const again = await api.call('DELETE', '/api/v1/rules/Throwaway', alice);
    expect(again).toMatchObject({ status: 404, json: { error: 'RuleNotFound' } });
    expect((await api.call('DELETE', '/api/v1/rules/Throwaway', viewer)).status).toBe(403);
    const after = await rules();
    expect(after.rules.map((r) => r.name)).toEqual(['Checkout critical', 'Search only']);
    expect(after.audit[0]).toMatchObject({ action: 'deleted', rule: 'Throwaway', actor: 'alice' });
    await recordHistory(api.client, rulesWorkflowId(TASK_QUEUE), 'rule-workflow');
  });

  it('when rules at every field limit pile up, then the one that would outgrow what a run carries is refused, the rules stay readable, and a repeat is no change', async () => {
    // About 100 KB each: 20 of them once jammed the workflow for good ("message too large").
    const big = (i: number) => ({
      name: `Big ${i}`,
      condition: Array.from({ length: 12 }, (_, k) => `service == "${'s'.repeat(120)}${k}"`).join(' OR '),
      escalation: {
        delay: 60,
        channels: ['webhook'],
        recipients: Array.from({ length: 50 }, (_, k) => `${other.url}/${'p'.repeat(1900)}/${i}/${k}`),
      },
    });
    const answers: number[] = [];
    for (let i = 0; i < 12 && !answers.includes(409); i++) {
      answers.push((await api.call('POST', '/api/v1/rules', { ...alice, body: big(i) })).status);
    }
    expect(answers.slice(0, -1).every((s) => s === 201)).toBe(true);
    const refused = await api.call('POST', '/api/v1/rules', { ...alice, body: big(99) });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ error: 'TooManyRules', message: /more than 512 KiB/ });

    const before = (await rules()).audit.length;
    const again = await api.call('POST', '/api/v1/rules', { ...alice, body: big(0) });
    expect(again.status).toBe(200);
    expect((await rules()).audit.length).toBe(before);

    for (let i = 0; i < answers.length - 1; i++) {
      expect(
        (await api.call('DELETE', `/api/v1/rules/${encodeURIComponent(`Big ${i}`)}`, alice)).status,
      ).toBe(200);
    }
  });
});

async function open(alertname: string): Promise<string> {
  const r = await api.call('POST', '/api/v1/alertmanager', {
    ...alice,
    body: alertPayload({ alertname, labels: { service, severity: 'critical' }, summary: 'checkout is down' }),
  });
  expect(r.status).toBe(202);
  return incidentIdOf(r);
}

async function resolveAndClose(id: string, history: string): Promise<void> {
  expect((await api.call('POST', `/api/v1/incidents/${id}/resolve`, alice)).status).toBe(200);
  await api.waitFor(id, (s) => s.stage === 'closed');
  await recordHistory(api.client, id, history);
}

const escalated = (s: IncidentState): boolean => s.timeline.some((t) => t.event === 'escalated');

describe('a matching rule at escalation', () => {
  it("joins a plan's escalation at its delay, pages its recipient, and the other rule pages nobody", async () => {
    const id = await open('RulesWithPlan');
    const waiting = await api.waitFor(id, (s) => s.stage === 'approve');
    expect(waiting.recommendation?.escalation).toMatchObject({
      timeoutMs: 2000,
      levels: [{ rule: 'Checkout critical', waitMs: 598_000 }],
    });
    expect(waiting.timeline.find((t) => t.event === 'recommended')?.message).toContain(
      'Escalation rules add: "Checkout critical" after 2s.',
    );
    const s = await api.waitFor(id, escalated);
    expect(s.timeline.find((t) => t.event === 'escalated')?.message).toBe(
      'no decision yet: escalated to level 1 by rule "Checkout critical"',
    );
    await expect.poll(() => escalationsFor(matching, id).length).toBe(1);
    expect(escalationsFor(matching, id)[0]).toMatchObject({ event: 'incident.escalated', level: 1, service });
    expect(escalationsFor(other, id)).toEqual([]);
    await resolveAndClose(id, 'rule-plan-escalated');
  });

  it('pages for an incident no runbook matches, after its delay, until someone takes it', async () => {
    const id = await open('RulesWithoutPlan');
    const waiting = await api.waitFor(id, (s) => s.ruleEscalation !== undefined);
    expect(waiting.recommendation).toBeNull();
    expect(waiting.ruleEscalation?.levels).toMatchObject([{ rule: 'Checkout critical', delayMs: 2000 }]);
    const s = await api.waitFor(id, escalated);
    expect(s.timeline.map((t) => t.event)).toContain('rules-matched');
    expect(s.escalationLevel).toBe(1);
    expect(s.nextEscalationAt).toBeUndefined();
    await expect.poll(() => escalationsFor(matching, id).length).toBe(1);
    expect(escalationsFor(other, id)).toEqual([]);
    await resolveAndClose(id, 'rule-no-runbook-escalated');
  });
});

describe('rules that cannot be read', () => {
  let worker: TestWorker;
  let client: Client;
  beforeAll(async () => {
    // The activities' Temporal client points at a closed port: the rules cannot be read there.
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) });
    worker = await startTestWorker(
      testActivities({ runbooks: {}, temporal: unreachable }),
      `${TASK_QUEUE}-down`,
    );
    client = await testClient();
  });
  afterAll(async () => worker?.stop());

  it('leave the incident open for people, saying so in its timeline', async () => {
    const id = `rules-down-${run}`;
    const handle = await startIncident(client, `${TASK_QUEUE}-down`, id, [
      makeAlert({ alertName: 'RulesDown', labels: { service, severity: 'critical' } }),
    ]);
    const s = await waitForState(
      handle,
      (st) => st.timeline.some((t) => t.event === 'rules-unavailable'),
      30_000,
    );
    expect(s.stage).toBe('recommend');
    expect(s.ruleEscalation).toEqual({ since: expect.any(String) as unknown, levels: [] });
    await handle.terminate('test done');
    expect(atStage('recommend')(s)).toBe(true);
  });
});
