import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testActivities } from '../support/activities.js';
import type { Alert } from '../../src/domain/alert.js';
import { OUTLOOK_HORIZON_MS } from '../../src/domain/calendar.js';
import type { Decision, IncidentInput, IncidentState } from '../../src/domain/incident.js';
import { createMetrics, type Metrics } from '../../src/lib/metrics.js';
import { type incidentWorkflow } from '../../src/workflows/incident.js';
import {
  acknowledgeUpdate,
  alertsSignal,
  approveUpdate,
  REFUSAL,
  rejectUpdate,
  resolveUpdate,
  stateQuery,
} from '../../src/workflows/messages.js';
import { liveMemoryLimit, startTestContainer, testDocker } from '../support/docker.js';
import {
  startMetricsTarget,
  alertRules,
  startPrometheus,
  waitForSamples,
  type MetricsTarget,
  type RunningPrometheus,
} from '../support/prometheus.js';
import {
  atStage,
  historyWhen,
  makeAlert,
  recordHistory,
  scheduledActivities,
  startedTimers,
  resolvedAlert,
  startIncident,
  startWebhookSink,
  waitForState,
  testDockerScope,
} from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'incident-scenarios';
const MiB = 1024 * 1024;

let client: Client;
let worker: TestWorker;
let docker: Docker;
let prometheus: RunningPrometheus;
let target: MetricsTarget;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
let metrics: Metrics;
let jitter: NodeJS.Timeout;
let errorRatio = 0.01;
let raisedAt = '';

const LEARN_GUARDS = '{ cooldown: 0s, maxActionsPerTarget: 10 }';

function runbooks(webhook: string): Record<string, string> {
  const restart = (
    alert: string,
    approval: string,
    verify = 'up{job="{{ labels.job }}"} == 1',
    guards = '{}',
  ) => `
title: Restart ${alert}
match: { alertnames: [${alert}] }
risk: low
approvers: [alice]
approval: ${approval}
guards: ${guards}
steps:
  - action: docker.restart
    container: '{{ labels.container }}'
    stopTimeout: 2s
${testDockerScope()}
verify: { promql: '${verify}', within: 20s, interval: 1s }
`;
  return {
    'restart.yaml': restart('TestServiceDown', '{ timeout: 10m }'),
    'escalate.yaml': restart(
      'TestEscalation',
      `{ timeout: 1s, finalPolicy: auto-approve, escalation: [{ notify: [{ type: log }, { type: webhook, url: '${webhook}' }], wait: 1s }, { notify: [{ type: webhook, url: '${webhook}' }], wait: 1s }] }`,
    ),
    'abort.yaml': restart('TestNobodyHome', '{ timeout: 1s, finalPolicy: abort }'),
    'unreachable.yaml': restart(
      'TestUnreachableOnCall',
      `{ timeout: 1s, finalPolicy: abort, escalation: [{ notify: [{ type: email, to: ['oncall@example.com'] }], wait: 1s }] }`,
    ),
    // Two runbooks for one alert: "a" never verifies, "b" does. Past outcomes must steer the choice.
    // Three incidents in a row restart one container: no cooldown, or the guard would rightly refuse.
    'learn-a.yaml': restart(
      'TestLearning',
      '{ timeout: 10m }',
      'up{job="no-such-job"} == 1',
      LEARN_GUARDS,
    ).replace('within: 20s', 'within: 2s'),
    'learn-b.yaml': restart('TestLearning', '{ timeout: 10m }', undefined, LEARN_GUARDS),
    // The first escalation is 10 minutes away, so no test can see it fire before an acknowledgement
    // lands: the tests read from the history that the clock was stopped, or never set.
    'ack.yaml': restart(
      'TestAcknowledged',
      `{ timeout: 10m, finalPolicy: abort, escalation: [{ notify: [{ type: log }], wait: 1s }] }`,
    ),
    'inject.yaml': restart('TestInjection', '{ timeout: 10m }'),
    'resize.yaml': `
title: Raise the memory limit
match: { alertnames: [TestMemoryPressure] }
risk: medium
approvers: [alice]
steps:
  - action: docker.update-resources
    container: '{{ labels.container }}'
    memory: 96Mi
${testDockerScope()}
verify: { promql: 'up{job="no-such-job"} == 1', within: 3s, interval: 1s }
`,
  };
}

const open = (id: string, alerts: Alert[], extra: Partial<IncidentInput> = {}) =>
  startIncident(client, TASK_QUEUE, id, alerts, { debounceMs: 200, ...extra });

const uniqueId = (name: string): string => `${name}-${Date.now().toString(36)}`;

/** The run's timers but the debounce (the first): the escalation clocks it set. */
/**
 * The run's timers but one: the change calendar's read again at its outlook's horizon, 14 days out (no
 * calendar file is set here, so nothing could change before it), which waits beside any clock.
 */
const clocks = (events: Parameters<typeof startedTimers>[0]) =>
  startedTimers(events).filter((t) => t.ms < OUTLOOK_HORIZON_MS / 2);
const escalationClocks = (events: Parameters<typeof startedTimers>[0]) => clocks(events).slice(1);
const ERROR_EXPR = 'test_error_ratio > 0.05';

beforeAll(async () => {
  docker = testDocker();
  target = await startMetricsTarget();
  const gauge = target.gauge('test_error_ratio');
  // A realistic baseline wobbles; a flat one would make every change look infinitely unusual.
  jitter = setInterval(() => gauge.set(errorRatio * (0.8 + Math.random() * 0.4)), 250);
  const down = 'up{job="web"} == 0';
  prometheus = await startPrometheus(
    [{ job: 'web', port: target.port }],
    alertRules([
      { alert: 'TestServiceDown', expr: ERROR_EXPR },
      ...['TestEscalation', 'TestMemoryPressure', 'TestLearning'].map((alert) => ({ alert, expr: down })),
    ]),
  );
  sink = await startWebhookSink();
  metrics = createMetrics();
  const activities = testActivities({
    runbooks: runbooks(sink.url),
    docker,
    metrics,
    triage: { detectRecentMs: 4000, prometheusUrl: prometheus.url },
    temporal: await testClient(),
  });
  client = await testClient();
  worker = await startTestWorker(activities, TASK_QUEUE);
  await waitForSamples(prometheus.url, 'test_error_ratio', 12);
  errorRatio = 0.3;
  raisedAt = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 6000));
}, 120_000);

afterAll(async () => {
  clearInterval(jitter);
  await worker?.stop();
  await prometheus?.close();
  await target?.close();
  await sink?.close();
});

describe('incident workflow on a real Temporal server', () => {
  it('when an approver approves, then the container is really restarted and the fix is verified in Prometheus', async () => {
    const container = await startTestContainer(docker, 'steadfast-test-happy');
    const before = (await container.inspect()).State.StartedAt;
    const id = uniqueId('happy');
    const handle = await open(id, [
      makeAlert(
        {
          alertName: 'TestServiceDown',
          startsAt: raisedAt,
          labels: { job: 'web', container: 'steadfast-test-happy' },
        },
        prometheus.url,
        ERROR_EXPR,
      ),
    ]);

    const waiting = await waitForState(handle, atStage('approve'));
    expect(waiting.detection?.status).toBe('scored');
    expect(waiting.detection?.finding?.score).toBeGreaterThan(0.8);
    expect(waiting.detection?.message).toMatch(/test_error_ratio 0\.\d+ vs\. a usual 0\.00\d+–0\.01\d*/);
    expect(waiting.detection?.threshold).toEqual({ value: 0.05, direction: 'above' });
    expect(waiting.prediction?.status).toBe('forecast');
    expect(waiting.recommendation?.runbookId).toBe('restart');
    expect(waiting.recommendation?.explanation).toContain('restart container steadfast-test-happy');

    const refused = await handle
      .executeUpdate(approveUpdate, { args: [{ actor: 'mallory', via: 'api' }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((refused as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(
      REFUSAL.notAuthorized,
    );

    const malformed = await handle
      .executeUpdate(approveUpdate, { args: [{ actor: 'alice' } as unknown as Decision] })
      .catch((e: unknown) => e);
    expect(((malformed as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(REFUSAL.invalid);

    const approved = await handle.executeUpdate(approveUpdate, {
      args: [{ actor: 'alice', via: 'api', reason: 'go' }],
    });
    expect(approved).toEqual(
      expect.objectContaining({ incidentId: id, decision: 'approved', actor: 'alice', stage: 'approve' }),
    );
    expect((await handle.query(stateQuery)).approvals).toEqual([
      expect.objectContaining({ decision: 'approved', actor: 'alice', reason: 'go' }),
    ]);

    const final = await handle.result();
    expect(final.outcome).toBe('verified');
    expect(final.actions).toEqual([
      expect.objectContaining({ status: 'done', description: 'restart container steadfast-test-happy' }),
    ]);
    expect(final.verification).toEqual(expect.objectContaining({ status: 'passed' }));
    expect(final.milestones.firstAction).toBeDefined();
    const after = await container.inspect();
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(before);
    expect(final.approvals.filter((a) => a.actor === 'mallory')).toEqual([]);
    await recordHistory(client, id, 'happy-path');
  });

  it('when the approver rejects, then nothing is changed and the incident closes as rejected', async () => {
    const container = await startTestContainer(docker, 'steadfast-test-reject');
    const before = (await container.inspect()).State.StartedAt;
    const id = uniqueId('reject');
    const handle = await open(id, [
      makeAlert({ alertName: 'TestServiceDown', labels: { job: 'web', container: 'steadfast-test-reject' } }),
    ]);
    await waitForState(handle, atStage('approve'));
    await handle.executeUpdate(rejectUpdate, {
      args: [{ actor: 'alice', via: 'api', reason: 'planned maintenance' }],
    });
    const final = await handle.result();
    expect(final.outcome).toBe('rejected');
    expect(final.actions).toEqual([]);
    expect(final.detection?.status).toBe('no-metrics-source');
    expect((await container.inspect()).State.StartedAt).toBe(before);
    const late = await handle
      .executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] })
      .catch((e: unknown) => e);
    expect(late).toBeInstanceOf(Error);
    await recordHistory(client, id, 'reject');
  });

  it('when nobody answers, then each escalation level is notified in order and the low-risk final policy approves', async () => {
    await startTestContainer(docker, 'steadfast-test-escalate');
    const id = uniqueId('escalate');
    const already = sink.received.length;
    const handle = await open(id, [
      makeAlert(
        { alertName: 'TestEscalation', labels: { job: 'web', container: 'steadfast-test-escalate' } },
        prometheus.url,
        'up{job="web"} == 0',
      ),
    ]);
    const final = await handle.result();
    const hooks = sink.received.slice(already) as { incidentId: string; level: number }[];
    expect(hooks.map((h) => [h.incidentId, h.level])).toEqual([
      [id, 1],
      [id, 2],
    ]);
    expect(final.timeline.filter((t) => t.event === 'escalated').map((t) => t.message)).toEqual([
      'no decision yet: escalated to level 1',
      'no decision yet: escalated to level 2',
    ]);
    expect(final.approvals).toEqual([
      expect.objectContaining({ decision: 'approved', actor: 'policy:auto-approve', via: 'policy' }),
    ]);
    expect(final.outcome).toBe('verified');
    await recordHistory(client, id, 'escalation-auto-approve');
  });

  it('when nobody answers and the final policy is abort, then the incident closes as aborted without acting', async () => {
    // A plan is only offered for a container that exists and is in the runbook's scope.
    await startTestContainer(docker, 'steadfast-test-nobody');
    const id = uniqueId('abort');
    const handle = await open(id, [
      makeAlert({ alertName: 'TestNobodyHome', labels: { job: 'web', container: 'steadfast-test-nobody' } }),
    ]);
    const final = await handle.result();
    expect(final.outcome).toBe('aborted');
    expect(final.actions).toEqual([]);
    await recordHistory(client, id, 'abort');
  });

  it('when someone acknowledges, then escalation stops and the incident waits for their decision', async () => {
    await startTestContainer(docker, 'steadfast-test-ack');
    const id = uniqueId('ack');
    const handle = await open(id, [
      makeAlert({ alertName: 'TestAcknowledged', labels: { job: 'web', container: 'steadfast-test-ack' } }),
    ]);
    await waitForState(handle, atStage('approve'));
    // The stage is entered before the clock is set (the calendar is read in between): an acknowledgement
    // in that gap means no clock at all, which the next test covers. This one acknowledges a running clock.
    await historyWhen(handle, (events) => escalationClocks(events).length > 0);
    // Someone who may not decide on the plan cannot stop its escalation (nor so its final policy).
    const stranger = await handle
      .executeUpdate(acknowledgeUpdate, { args: [{ actor: 'mallory', via: 'slack' }] })
      .catch((e: unknown) => e);
    expect(((stranger as WorkflowUpdateFailedError).cause as ApplicationFailure).message).toBe(
      'mallory is not an approver for runbook ack, so may not stop its escalation',
    );
    expect((await handle.query(stateQuery)).nextEscalationAt).toBeDefined();
    const acked = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect(acked).toEqual(expect.objectContaining({ decision: 'acknowledged', actor: 'alice' }));
    expect((await handle.query(stateQuery)).nextEscalationAt).toBeUndefined();
    const again = await handle
      .executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice', via: 'api' }] })
      .catch((e: unknown) => e);
    expect(((again as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(
      REFUSAL.alreadyDecided,
    );
    // The acknowledgement stopped the escalation clock (the timer is cancelled) and set no other.
    const stopped = await historyWhen(handle, (events) => escalationClocks(events).some((t) => t.canceled));
    expect(escalationClocks(stopped)).toEqual([{ ms: 600_000, canceled: true }]);
    await handle.executeUpdate(rejectUpdate, {
      args: [{ actor: 'alice', via: 'api', reason: 'handled by hand' }],
    });
    const final = await handle.result();
    expect(final.outcome).toBe('rejected');
    expect(final.approvals.map((a) => [a.decision, a.actor])).toEqual([
      ['acknowledged', 'alice'],
      ['rejected', 'alice'],
    ]);
    expect(final.timeline.filter((t) => t.event === 'escalated')).toEqual([]);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(escalationClocks(events)).toEqual([{ ms: 600_000, canceled: true }]);
    expect(scheduledActivities(events)).not.toContain('notifyEscalation');
    await recordHistory(client, id, 'acknowledged');
  });

  it('when someone acknowledges before approval opens, then escalation never starts', async () => {
    await startTestContainer(docker, 'steadfast-test-early-ack');
    const id = uniqueId('early-ack');
    // Opened without alerts, the incident waits to collect one: the acknowledgement surely comes first.
    const handle = await open(id, []);
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    await handle.signal(alertsSignal, [
      makeAlert({
        alertName: 'TestAcknowledged',
        labels: { job: 'web', container: 'steadfast-test-early-ack' },
      }),
    ]);
    const waiting = await waitForState(handle, atStage('approve'));
    expect(waiting.nextEscalationAt).toBeUndefined();
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'bob', via: 'api' }] });
    const final = await handle.result();
    expect(final.outcome).toBe('resolved');
    expect(final.timeline.filter((t) => t.event === 'escalated')).toEqual([]);
    // No escalation clock was ever set: the debounce was the run's only clock.
    const events = (await handle.fetchHistory()).events ?? [];
    expect(clocks(events)).toEqual([{ ms: 200, canceled: false }]);
    expect(scheduledActivities(events)).not.toContain('notifyEscalation');
  });

  it('when someone who may not decide on the plan acknowledged before it was made, then its escalation starts all the same', async () => {
    await startTestContainer(docker, 'steadfast-test-early-stranger');
    const id = uniqueId('early-stranger');
    const handle = await open(id, []);
    // Before there is a plan, anyone may acknowledge: there is nothing to decide on yet.
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'mallory', via: 'slack' }] });
    await handle.signal(alertsSignal, [
      makeAlert({
        alertName: 'TestAcknowledged',
        labels: { job: 'web', container: 'steadfast-test-early-stranger' },
      }),
    ]);
    const waiting = await waitForState(handle, atStage('approve'));
    expect(waiting.nextEscalationAt).toBeDefined();
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect((await handle.result()).outcome).toBe('resolved');
  });

  it('when an escalation channel is not set up, then the failure is noted and the chain still ends in its policy', async () => {
    await startTestContainer(docker, 'steadfast-test-unreachable');
    const id = uniqueId('unreachable');
    const handle = await open(id, [
      makeAlert({
        alertName: 'TestUnreachableOnCall',
        labels: { job: 'web', container: 'steadfast-test-unreachable' },
      }),
    ]);
    const final = await handle.result();
    expect(final.outcome).toBe('aborted');
    const failed = final.timeline.find((t) => t.event === 'escalation-failed');
    expect(failed?.message).toMatch(/level 1 could not be notified: .*SMTP/);
  });

  it('when verification fails, then the resource change is rolled back on the real container', async () => {
    const container = await startTestContainer(docker, 'steadfast-test-resize', { Memory: 64 * MiB });
    expect(await liveMemoryLimit(container)).toBe(64 * MiB);
    const id = uniqueId('rollback');
    const handle = await open(id, [
      makeAlert(
        { alertName: 'TestMemoryPressure', labels: { job: 'web', container: 'steadfast-test-resize' } },
        prometheus.url,
        'up{job="web"} == 0',
      ),
    ]);
    await waitForState(handle, atStage('approve'));
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    const verifying = await waitForState(handle, atStage('verify'));
    expect(verifying.actions[0]?.status).toBe('done');
    expect(await liveMemoryLimit(container)).toBe(96 * MiB);
    const final = await handle.result();
    expect(final.outcome).toBe('failed');
    expect(final.verification?.status).toBe('failed');
    expect(final.actions[0]?.status).toBe('rolled-back');
    expect(final.actions[0]?.rollback).toContain('memory 64MiB');
    expect(await liveMemoryLimit(container)).toBe(64 * MiB);
    await recordHistory(client, id, 'rollback-after-failed-verification');
  });

  it('when the alert resolves while awaiting approval, then the incident closes as resolved and nothing runs', async () => {
    await startTestContainer(docker, 'steadfast-test-none');
    const id = uniqueId('resolved');
    const alert = makeAlert({
      alertName: 'TestServiceDown',
      labels: { job: 'web', container: 'steadfast-test-none' },
    });
    const handle = await open(id, [alert, alert]);
    const waiting = await waitForState(handle, atStage('approve'));
    expect(waiting.nextEscalationAt).toBeDefined();
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    const final = await handle.result();
    expect(final.outcome).toBe('resolved');
    // Closed, it escalates no more, and does not say it will.
    expect(final.nextEscalationAt).toBeUndefined();
    expect(final.alerts).toHaveLength(1);
    expect(final.alerts[0]?.status).toBe('resolved');
    expect(final.duplicatesDropped).toBe(1);
    expect(final.actions).toEqual([]);
    await recordHistory(client, id, 'resolved-alert');
    // The same run since closing clears the planned escalation (CLOSED_ESCALATES_NO_MORE_PATCH).
    await recordHistory(client, id, 'resolved-alert-escalation-cleared');
  });

  it('when a label tries to smuggle in a command, then the runbook is refused, nothing runs, and a human can resolve', async () => {
    const id = uniqueId('inject');
    const handle = await open(id, [
      makeAlert({ alertName: 'TestInjection', labels: { job: 'web', container: 'web; rm -rf /' } }),
    ]);
    const waiting = await waitForState(handle, (s) => s.recommendation === null);
    expect(waiting.timeline.at(-1)?.message).toMatch(
      /parameters were refused.*steps\.0\.container.*not a container name/,
    );
    await handle.executeUpdate(resolveUpdate, {
      args: [{ actor: 'bob', via: 'api', reason: 'fixed by hand' }],
    });
    const final = await handle.result();
    expect(final.outcome).toBe('resolved');
    expect(final.actions).toEqual([]);
    await recordHistory(client, id, 'injection-refused');
  });

  it('when a noisy incident outgrows its history budget, then it continues as new and keeps its state', async () => {
    await startTestContainer(docker, 'steadfast-test-noisy');
    const id = uniqueId('noisy');
    const first = makeAlert({
      alertName: 'TestServiceDown',
      labels: { job: 'web', container: 'steadfast-test-noisy' },
    });
    const handle = await open(id, [first], { maxHistoryEvents: 60 });
    await waitForState(handle, atStage('approve'));
    const firstRun = (await handle.describe()).runId;
    for (let i = 0; i < 40; i++) {
      await handle.signal(alertsSignal, [
        makeAlert({
          alertName: 'TestServiceDown',
          fingerprint: `noisy-${i}`,
          labels: { job: 'web', container: 'steadfast-test-noisy', instance: String(i) },
        }),
      ]);
    }
    const carried = await waitForState(
      handle,
      (s) => s.alerts.length === 41 && s.timeline.some((t) => t.event === 'continued-as-new'),
    );
    expect((await client.workflow.getHandle(id).describe()).runId).not.toBe(firstRun);
    expect(carried.stage).toBe('approve');
    expect(carried.recommendation?.runbookId).toBe('restart');
    await client.workflow
      .getHandle(id)
      .executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    const final = await client.workflow.getHandle<typeof incidentWorkflow>(id).result();
    expect(final.outcome).toBe('resolved');
    expect(final.alerts).toHaveLength(41);
    await recordHistory(client, id, 'continued-as-new-first-run', firstRun);
    await recordHistory(client, id, 'continued-as-new-last-run');
  });

  it('when someone resolves the incident while its alerts are still gathering, then nothing is triaged', async () => {
    const id = uniqueId('early');
    const handle = await open(
      id,
      [
        makeAlert({
          alertName: 'TestServiceDown',
          labels: { job: 'web', container: 'steadfast-test-early' },
        }),
      ],
      { debounceMs: 3000 },
    );
    await waitForState(handle, (s) => s.alerts.length > 0);
    await handle.executeUpdate(resolveUpdate, {
      args: [{ actor: 'alice', via: 'api', reason: 'known blip' }],
    });
    const final = await handle.result();
    expect(final.outcome).toBe('resolved');
    expect(final.detection).toBeUndefined();
    expect(final.recommendation).toBeUndefined();
    expect(final.timeline.at(-1)?.message).toBe('resolved by alice before triage');
    await recordHistory(client, id, 'resolved-before-triage');
  });

  it('when closed incidents record how runbooks did, then the next incident picks the one that worked', async () => {
    await startTestContainer(docker, 'steadfast-test-learn');
    const runIncident = async (): Promise<IncidentState> => {
      const id = uniqueId('learn');
      const handle = await open(id, [
        makeAlert(
          { alertName: 'TestLearning', labels: { job: 'web', container: 'steadfast-test-learn' } },
          prometheus.url,
          'up{job="web"} == 0',
        ),
      ]);
      await waitForState(handle, atStage('approve'));
      await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
      const final = await handle.result();
      // Visibility is how outcomes are remembered; wait until it shows this incident's.
      const query = `WorkflowId = '${id}' AND IncidentOutcome = '${final.outcome}'`;
      while (Number((await client.workflow.count(query)).count) === 0)
        await new Promise((r) => setTimeout(r, 100));
      return final;
    };

    const first = await runIncident();
    expect(first.recommendation?.runbookId).toBe('learn-a');
    expect(first.recommendation?.explanation).toContain('"learn-a" was picked because no similar incident');
    expect(first.outcome).toBe('failed');

    const second = await runIncident();
    expect(second.recommendation?.runbookId).toBe('learn-b');
    expect(second.recommendation?.explanation).toContain(
      'ahead of "learn-a" (fixed 0 of 1 similar incidents',
    );
    expect(second.outcome).toBe('verified');

    const third = await runIncident();
    expect(third.recommendation?.runbookId).toBe('learn-b');
    expect(third.recommendation?.explanation).toContain(
      '"learn-b" was picked because it fixed 1 of 1 similar incidents (TestLearning on web)',
    );
  });

  it('records stage durations, approvals and time to first action in the metrics', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/steadfast_incidents_closed_total\{outcome="verified"\} [1-9]/);
    expect(text).toMatch(/steadfast_approvals_total\{decision="approved",via="api"\} [1-9]/);
    expect(text).toMatch(/steadfast_time_to_first_action_seconds_count [1-9]/);
    expect(text).toMatch(/steadfast_stage_duration_seconds_count\{stage="approve"\} [1-9]/);
  });
});
