/**
 * Killing an incident with history: every signal stays in a run's history until the workflow continues as
 * new, which it does only between steps, and Temporal terminates a run past 50 MB. A black-box probe sent
 * 100 webhooks of 1 MB to one incident while it could not roll over, and the server terminated it, its
 * alerts lost. Large deliveries now first read the history's size (STEADFAST_MAX_HISTORY_BYTES, set low
 * here so that a few webhooks reach it), on a real Temporal server behind the real API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/incident.js';
import { stateQuery } from '../../src/workflows/messages.js';
import { startApiHarness, TOKENS, type ApiHarness } from '../support/api-harness.js';
import { webhookBody } from '../support/webhook.js';

const BUDGET = 1_048_576;
let api: ApiHarness;

beforeAll(async () => {
  // No runbook matches: the incident waits for people, as a flood would find it.
  api = await startApiHarness({
    taskQueue: 'security-history-budget',
    runbooks: {},
    env: { STEADFAST_MAX_HISTORY_BYTES: String(BUDGET) },
  });
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

const run = Date.now().toString(36);

/** A webhook of `count` distinct alerts from `from` on, each with 32 KiB of annotations. */
function webhook(from: number, count: number, annotationBytes = 8000, service = `budget-${run}`) {
  const common = { alertname: 'HistoryBudget', service };
  return webhookBody(
    { groupLabels: common },
    Array.from({ length: count }, (_, k) => ({
      labels: { ...common, instance: `host-${from + k}` },
      annotations: Object.fromEntries(['a', 'b', 'c', 'd'].map((n) => [n, n.repeat(annotationBytes)])),
      fingerprint: `${service}-${from + k}`,
    })),
  );
}

const post = (body: unknown) => api.call('POST', '/api/v1/alertmanager', { token: TOKENS.alice, body });

describe('an incident cannot be killed with history', () => {
  it('when large webhooks would take its history past the budget, then the next is refused with 503 and nothing of it is recorded, while small ones still reach it', async () => {
    const sent: number[] = [];
    let refused: Awaited<ReturnType<typeof post>> | undefined;
    let incidentId = '';
    for (let i = 0; i < 8 && !refused; i++) {
      const r = await post(webhook(i * 10, 10)); // about 320 KiB of alerts
      if (r.status === 202) {
        incidentId = (r.json['incidents'] as { incidentId: string }[])[0]?.incidentId ?? incidentId;
        sent.push(i);
      } else refused = r;
    }

    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(refused?.status).toBe(503);
    expect(refused?.json['error']).toBe('IncidentBusy');
    expect(String(refused?.json['message'])).toMatch(/MB of history until its workflow continues as new/);
    expect(refused?.headers.get('retry-after')).toBe('5');
    const handle = api.client.workflow.getHandle(incidentId);
    const described = await handle.describe();
    expect(described.status.name).toBe('RUNNING');
    // The check adds the delivery's JSON to the size last read; encoding and the workflow's own events
    // come on top, so the budget is a bound within one delivery, not to the byte.
    expect(described.historySize ?? 0).toBeLessThan(2 * BUDGET);
    const state: IncidentState = await handle.query(stateQuery);
    expect(state.alertsReceived).toBe(sent.length * 10);

    const small = await post(webhook(1000, 1, 100));
    expect(small.status).toBe(202);
    const after = await api.waitFor(incidentId, (s) => (s.alertsReceived ?? 0) === sent.length * 10 + 1);
    expect(after.stage).not.toBe('closed');
  }, 120_000);

  it('when many webhooks each under 64 KiB arrive, then the history is read every 64 KiB and they are refused past the budget too', async () => {
    // The probe's second attack: bodies of 58 KB, just under the size that was asked about.
    const service = `budget-small-${run}`;
    let incidentId = '';
    let accepted = 0;
    let refused: Awaited<ReturnType<typeof post>> | undefined;
    for (let i = 0; i < 60 && !refused; i++) {
      const r = await post(webhook(i * 7, 7, 2000, service)); // 7 alerts of 8 KB: about 58 KB
      if (r.status === 202) {
        accepted++;
        incidentId = (r.json['incidents'] as { incidentId: string }[])[0]?.incidentId ?? incidentId;
      } else refused = r;
    }

    expect(refused?.status).toBe(503);
    expect(refused?.json['error']).toBe('IncidentBusy');
    const described = await api.client.workflow.getHandle(incidentId).describe();
    expect(described.status.name).toBe('RUNNING');
    expect(described.historySize ?? 0).toBeLessThan(2 * BUDGET);
    const state = await api.waitFor(incidentId, (s) => (s.alertsReceived ?? 0) >= accepted * 7);
    expect(state.alertsReceived).toBe(accepted * 7);
  }, 120_000);

  it('when twelve large webhooks arrive at once, then each is recorded whole (202) or not at all (503)', async () => {
    const service = `budget-parallel-${run}`;
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => post(webhook(i * 10, 10, 8000, service))),
    );

    const accepted = answers.filter((r) => r.status === 202);
    const refused = answers.filter((r) => r.status !== 202);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(refused.every((r) => r.status === 503 && r.json['error'] === 'IncidentBusy')).toBe(true);
    const [first] = accepted[0]?.json['incidents'] as { incidentId: string }[];
    const state = await api.waitFor(
      first?.incidentId ?? '',
      (s) => (s.alertsReceived ?? 0) >= accepted.length * 10,
    );
    expect(state.alertsReceived).toBe(accepted.length * 10);
  }, 120_000);
});
