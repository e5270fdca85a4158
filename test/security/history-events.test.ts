/**
 * Killing an incident with history events: Temporal terminates a run at 51,200 events, and a run does not
 * continue as new while a step runs. Webhooks of one small alert each stay far under the history's size
 * budget, so deliveries are also refused past an event budget (eight times STEADFAST_MAX_HISTORY_EVENTS,
 * set low here), on a real Temporal server behind the real API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventBudget, SIGNALS_PER_RUN } from '../../src/incidents/ingest.js';
import { startApiHarness, TOKENS, type ApiHarness } from '../support/api-harness.js';
import { webhookBody } from '../support/webhook.js';

const MAX_EVENTS = 100;
let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness({
    taskQueue: 'security-history-events',
    runbooks: {
      'hold.yaml': [
        'title: Hold the incident in a step',
        'match: { alertnames: [HistoryEvents] }',
        'risk: low',
        'steps:',
        '  - action: wait',
        '    duration: 2m',
        'verify: { within: 30s }',
      ].join('\n'),
    },
    env: {
      STEADFAST_MAX_HISTORY_EVENTS: String(MAX_EVENTS),
      STEADFAST_DEBOUNCE: '1s',
    },
  });
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

const run = Date.now().toString(36);
const service = `events-${run}`;

/** One webhook of one small alert, numbered. */
function webhook(n: number) {
  const common = { alertname: 'HistoryEvents', service };
  return webhookBody({ groupLabels: common }, [
    {
      labels: { ...common, instance: `host-${n}` },
      annotations: { summary: 'x'.repeat(300) },
      fingerprint: `${service}-${n}`,
    },
  ]);
}

describe('an incident cannot be killed with history events', () => {
  it('when small webhooks take its history past the event budget while a step runs, then they are refused with 503 and the incident runs on', async () => {
    const first = await api.call('POST', '/api/v1/alertmanager', { token: TOKENS.alice, body: webhook(0) });
    const incidentId = (first.json['incidents'] as { incidentId: string }[])[0]?.incidentId ?? '';
    await api.waitFor(incidentId, (s) => s.stage === 'approve', 60_000);
    const approved = await api.call('POST', `/api/v1/incidents/${incidentId}/approve`, {
      token: TOKENS.alice,
      body: { reason: 'hold it in its step' },
    });
    expect(approved.status).toBe(200);
    await api.waitFor(incidentId, (s) => s.stage === 'remediate', 60_000);

    let refused: Awaited<ReturnType<typeof api.call>> | undefined;
    let accepted = 1;
    for (let n = 1; n < 1500 && !refused; n++) {
      const r = await api.call('POST', '/api/v1/alertmanager', { token: TOKENS.alice, body: webhook(n) });
      if (r.status === 202) accepted++;
      else refused = r;
    }

    expect(refused?.status).toBe(503);
    expect(refused?.json['error']).toBe('IncidentBusy');
    expect(String(refused?.json['message'])).toMatch(/history events until its workflow continues as new/);
    const described = await api.client.workflow.getHandle(incidentId).describe();
    expect(described.status.name).toBe('RUNNING');
    expect(described.historyLength).toBeGreaterThan(eventBudget({ maxHistoryEvents: MAX_EVENTS }));
    const state = await api.waitFor(incidentId, (s) => (s.alertsReceived ?? 0) === accepted);
    expect(state.stage).toBe('remediate');
  }, 180_000);

  it("when the bound to roll over at is large, then the budget still stops short of Temporal's signals per run", () => {
    // Each signal is at least one event: under the budget, a run has taken fewer signals than the server allows.
    expect(eventBudget({ maxHistoryEvents: 8000 })).toBeLessThan(SIGNALS_PER_RUN);
    expect(eventBudget({ maxHistoryEvents: MAX_EVENTS })).toBe(8 * MAX_EVENTS);
  });
});
