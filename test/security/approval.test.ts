import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/incident.js';
import { REFUSALS_NOTED_PER_INCIDENT } from '../../src/incidents/decisions.js';
import {
  alertPayload,
  incidentIdOf,
  startApiHarness,
  TOKENS,
  type ApiHarness,
} from '../support/api-harness.js';
import { startTestContainer } from '../support/docker.js';
import { testDockerScope } from '../support/scenario.js';

/**
 * Approval fails closed: a medium or high-risk plan whose runbook names no approvers (and with no
 * STEADFAST_APPROVERS) may be approved by nobody, and every refused attempt is in the audit trail.
 */
const runbook = (alert: string, risk: string, approvers: string) => `
title: Resize ${alert}
match: { alertnames: [${alert}] }
risk: ${risk}
approvers: ${approvers}
steps:
  - { action: docker.update-resources, container: '{{ labels.container }}', memory: 96Mi }
${testDockerScope()}
verify: { within: 3s, interval: 1s }
`;

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness({
    taskQueue: 'security-approval',
    runbooks: {
      'nobody.yaml': runbook('SecNobodyNamed', 'high', '[]'),
      'named.yaml': runbook('SecAliceNamed', 'medium', '[alice]'),
    },
  });
}, 60_000);

afterAll(async () => {
  await api?.stop();
});

async function openIncident(
  alertname: string,
  container: string,
  labels: Record<string, string> = {},
): Promise<IncidentState> {
  const sent = await api.call('POST', '/api/v1/alertmanager', {
    token: TOKENS.alice,
    body: alertPayload({ alertname, labels: { container, ...labels }, summary: `${alertname} in a test` }),
  });
  expect(sent.status).toBe(202);
  const id = await incidentIdOf(sent);
  return api.waitFor(id, (s) => s.stage === 'approve');
}

describe('approval fails closed', () => {
  it('a high-risk plan with no approver named is refused to every approver-role token, and each refusal is recorded', async () => {
    const container = await startTestContainer(api.docker, 'steadfast-test-sec-nobody', { Memory: 64 << 20 });
    const waiting = await openIncident('SecNobodyNamed', 'steadfast-test-sec-nobody');
    for (const token of [TOKENS.alice, TOKENS.mallory]) {
      const r = await api.call('POST', `/api/v1/incidents/${waiting.incidentId}/approve`, {
        token,
        body: {},
      });
      expect(r.status).toBe(403);
      expect(r.text).toContain('is high risk and names no approvers, so nobody may decide on it');
    }
    const after = await api.waitFor(
      waiting.incidentId,
      (s) => s.timeline.filter((t) => t.event === 'decision-refused').length === 2,
    );
    expect(after.stage).toBe('approve');
    expect(after.approvals).toEqual([]);
    expect(after.timeline.filter((t) => t.event === 'decision-refused').map((t) => t.actor)).toEqual([
      'alice',
      'mallory',
    ]);
    expect((await container.inspect()).HostConfig.Memory).toBe(64 << 20);
    const resolved = await api.call('POST', `/api/v1/incidents/${waiting.incidentId}/resolve`, {
      token: TOKENS.alice,
      body: { reason: 'done by hand' },
    });
    expect(resolved.status).toBe(200);
  });

  it('refusals sent without end are answered every time, but only the first 100 are noted in the history', async () => {
    await startTestContainer(api.docker, 'steadfast-test-sec-flood', { Memory: 64 << 20 });
    // An incident of its own (the other tests' incidents share the alert name, so their ID).
    const waiting = await openIncident('SecNobodyNamed', 'steadfast-test-sec-flood', { service: 'flood' });
    const sent = REFUSALS_NOTED_PER_INCIDENT + 20;
    for (let i = 0; i < sent; i++) {
      const r = await api.call('POST', `/api/v1/incidents/${waiting.incidentId}/reject`, {
        token: TOKENS.mallory,
        body: { reason: `attempt ${i}` },
      });
      expect(r.status).toBe(403);
    }
    const noted = (s: IncidentState): number =>
      s.timeline.filter((t) => t.event === 'decision-refused').length +
      (s.notesDropped?.['refused decision'] ?? 0);
    const after = await api.waitFor(waiting.incidentId, (s) => noted(s) >= REFUSALS_NOTED_PER_INCIDENT);
    expect(noted(after)).toBe(REFUSALS_NOTED_PER_INCIDENT);
    // Every signal was delivered before its request was answered: a second look finds no more.
    await new Promise((r) => setTimeout(r, 1000));
    expect(noted(await api.waitFor(waiting.incidentId, () => true))).toBe(REFUSALS_NOTED_PER_INCIDENT);
    const resolved = await api.call('POST', `/api/v1/incidents/${waiting.incidentId}/resolve`, {
      token: TOKENS.alice,
      body: { reason: 'done by hand' },
    });
    expect(resolved.status).toBe(200);
  });

  it('a medium-risk plan that names alice is refused to mallory (recorded) and approved by alice', async () => {
    await startTestContainer(api.docker, 'steadfast-test-sec-named', { Memory: 64 << 20 });
    const waiting = await openIncident('SecAliceNamed', 'steadfast-test-sec-named');
    const byMallory = await api.call('POST', `/api/v1/incidents/${waiting.incidentId}/approve`, {
      token: TOKENS.mallory,
      body: {},
    });
    expect(byMallory.status).toBe(403);
    expect(byMallory.text).toContain('mallory is not an approver');
    const byAlice = await api.call('POST', `/api/v1/incidents/${waiting.incidentId}/approve`, {
      token: TOKENS.alice,
      body: {},
    });
    expect(byAlice.status).toBe(200);
    const done = await api.waitFor(waiting.incidentId, (s) => s.stage === 'closed', 60_000);
    expect(done.approvals.map((a) => a.actor)).toEqual(['alice']);
    expect(done.timeline.find((t) => t.event === 'decision-refused')?.actor).toBe('mallory');
  });
});
