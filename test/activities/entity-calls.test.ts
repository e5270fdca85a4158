import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLifecycleActivities } from '../../src/activities/lifecycle.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { guardClient } from '../../src/incidents/guard.js';
import { incidentClosed } from '../../src/workflows/records.js';
import { incidentState } from '../support/incident.js';
import { makeAlert } from '../support/scenario.js';
import { testClient } from '../support/temporal.js';

/**
 * The entities an activity updates (verdict ledger, severity model, guard) run on the activity's own
 * worker. Here no worker takes their queue at all, as when the worker is shutting down: every call must
 * still end, by its deadline or as soon as the activity is cancelled, or the worker's shutdown waits
 * for it forever.
 */
let client: Client;
beforeAll(async () => {
  client = await testClient();
});

/** An incident that acted and was verified: closing it files evidence and teaches the severity model. */
const closed = (id: string) =>
  incidentClosed(
    incidentState({
      incidentId: id,
      stage: 'closed',
      outcome: 'verified',
      closedAt: new Date().toISOString(),
      alerts: [makeAlert({ alertName: 'EntityCallTest', labels: { service: 'cache' } })],
      actions: [
        { index: 0, action: 'wait', description: 'wait', status: 'done', startedAt: '2026-11-30T06:00:00Z' },
      ],
    }),
  );

/** An error's message and its causes' messages, one per line. */
const causes = (err: unknown): string => {
  const lines: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) lines.push(e.message);
  return lines.join('\n');
};

const noWorkerQueue = (): string => `steadfast-test-no-worker-${randomUUID()}`;

describe('an activity reaching an entity that no worker serves', () => {
  it('when the incident closes on its last attempt, then the ledger and the model are given up on, logged, and the close completes', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const lifecycle = createLifecycleActivities({
      logger,
      metrics: createMetrics(),
      temporal: client,
      entityTimeoutMs: 1500,
    });
    const env = new MockActivityEnvironment({ taskQueue: noWorkerQueue(), attempt: 4 });
    await env.run(() => lifecycle.recordIncidentClosed(closed(`incident-entity-${randomUUID()}`)));
    const events = lines.map((l) => (JSON.parse(l) as { event?: string }).event);
    expect(events).toEqual(
      expect.arrayContaining(['verdicts.evidence-failed', 'severity.learn-failed', 'incident.closed']),
    );
  }, 60_000);

  it('when the activity is cancelled (its worker shutting down), then its call to the ledger ends at once, not at its deadline', async () => {
    const lifecycle = createLifecycleActivities({
      logger: createLogger('silent'),
      metrics: createMetrics(),
      temporal: client,
      entityTimeoutMs: 10 * 60_000,
    });
    const env = new MockActivityEnvironment({ taskQueue: noWorkerQueue(), attempt: 1 });
    const running = env.run(() => lifecycle.recordIncidentClosed(closed(`incident-entity-${randomUUID()}`)));
    setTimeout(() => env.cancel(), 500);
    // Within the test's minute, ten before the deadline: only the cancellation can have ended it.
    await expect(running).rejects.toThrow(/cancel/i);
  }, 60_000);

  it('when the guard never answers, then a reservation fails within its budget instead of waiting for ever', async () => {
    const guard = guardClient(client, noWorkerQueue());
    const request = {
      stepKey: `entity-test/${randomUUID()}/0`,
      incidentId: 'incident-entity-guard',
      target: 'docker/container/steadfast-test-entity',
      action: 'docker.restart',
      policy: { cooldownMs: 0, maxActionsPerTarget: 3, windowMs: 60_000 },
    };
    const started = Date.now();
    const failure = await guard.reserve(request).then(
      () => undefined,
      (err: unknown) => err,
    );
    const elapsed = Date.now() - started;
    // The budget (10 s) ends the call. Who notices first names it: grpc-js (a passed deadline, a
    // cancelled call) or the server, whose update-with-start then fails whole ("Update-With-Start
    // failed", caused by its own "context deadline exceeded"). So the whole chain of causes is read.
    expect(causes(failure)).toMatch(/deadline|timeout|cancel/i);
    // Not an early refusal of another kind, and not the wait for ever the budget is there to prevent.
    expect(elapsed).toBeGreaterThanOrEqual(8_000);
    expect(elapsed).toBeLessThan(20_000);
  }, 60_000);
});
