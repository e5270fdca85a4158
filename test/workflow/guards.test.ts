import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import type { IncidentState } from '../../src/domain/incident.js';
import { guardClient } from '../../src/incidents/guard.js';
import type { ReserveRequest } from '../../src/guards/policy.js';
import {
  guardStateQuery,
  guardWorkflowId,
  pauseUpdate,
  remediationGuardWorkflow,
  resumeUpdate,
} from '../../src/workflows/guard.js';
import {
  alertsSignal,
  approveUpdate,
  MAX_ROUNDS,
  REFUSAL,
  resolveUpdate,
  stateQuery,
} from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { liveMemoryLimit, startTestContainer, testDocker } from '../support/docker.js';
import {
  makeAlert,
  recordHistory,
  resolvedAlert,
  startIncident,
  startWebhookSink,
  waitForState,
  testDockerScope,
} from '../support/scenario.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'guard-scenarios';
const MiB = 1024 * 1024;

let client: Client;
let worker: TestWorker;
let docker: Docker;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
let slack: SlackStandIn;

function runbooks(webhook: string): Record<string, string> {
  return {
    // Verification waits for the alerts to resolve, which each test sends once the action ran.
    'restart.yaml': `
title: Restart the container
match: { alertnames: [GuardRestart] }
risk: low
approvers: [alice]
approval:
  timeout: 10m
  escalation: [{ notify: [{ type: webhook, url: '${webhook}' }], wait: 10m }]
guards: { cooldown: 10m, maxActionsPerTarget: 3, window: 1h }
steps:
  - action: docker.restart
    container: '{{ labels.container }}'
    stopTimeout: 2s
${testDockerScope()}
verify: { within: 20s }
`,
    'resize.yaml': `
title: Raise the memory limit twice
match: { alertnames: [GuardResize] }
risk: medium
approvers: [alice]
approval: { timeout: 10m }
guards: { maxActionsPerTarget: 1, window: 1h }
steps:
  - action: docker.update-resources
    container: '{{ labels.container }}'
    memory: 96Mi
  - action: docker.update-resources
    container: '{{ labels.container }}'
    memory: 128Mi
${testDockerScope()}
verify: { within: 20s }
`,
    'reopen.yaml': `
title: Restart, at most once an hour
match: { alertnames: [GuardReopen] }
risk: low
approvers: [alice]
approval: { timeout: 10m }
guards: { cooldown: 10m, maxActionsPerTarget: 1, window: 1h }
steps:
  - action: docker.restart
    container: '{{ labels.container }}'
    stopTimeout: 2s
${testDockerScope()}
verify: { within: 20s }
`,
    'standing.yaml': `
title: Restart, then raise the memory limit
match: { alertnames: [GuardStanding] }
risk: medium
approvers: [alice]
approval: { timeout: 10m }
guards: { maxActionsPerTarget: 1, window: 1h }
steps:
  - action: docker.restart
    container: '{{ labels.container }}'
    stopTimeout: 2s
  - action: docker.update-resources
    container: '{{ labels.container }}'
    memory: 96Mi
${testDockerScope()}
verify: { within: 20s }
`,
    'paused.yaml': `
title: Restart while paused
match: { alertnames: [GuardPaused] }
risk: low
approvers: [alice]
approval: { timeout: 10m }
guards: { cooldown: 0s }
steps:
  - action: docker.restart
    container: '{{ labels.container }}'
    stopTimeout: 2s
${testDockerScope()}
verify: { within: 20s }
`,
  };
}

const uniqueId = (name: string): string =>
  `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

const guard = () => client.workflow.getHandle(guardWorkflowId(TASK_QUEUE));
const withGuard = () =>
  new WithStartWorkflowOperation(remediationGuardWorkflow, {
    workflowId: guardWorkflowId(TASK_QUEUE),
    taskQueue: TASK_QUEUE,
    args: [],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
const handedBack = (s: IncidentState): boolean => s.stage === 'approve' && (s.round ?? 0) > 0;

beforeAll(async () => {
  docker = testDocker();
  sink = await startWebhookSink();
  client = await testClient();
  slack = await startSlackStandIn();
  worker = await startTestWorker(
    testActivities({
      runbooks: runbooks(sink.url),
      docker,
      notify: { slack: { token: 'xoxb-test', apiUrl: slack.apiUrl } },
    }),
    TASK_QUEUE,
  );
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await sink?.close();
  await slack?.close();
});

describe('remediation guards on a real Temporal server and real containers', () => {
  it('when two incidents are approved at the same moment for one container, then exactly one acts and the other goes back to people', async () => {
    const container = await startTestContainer(docker, 'steadfast-test-guard-race');
    const { Id: containerId, State } = await container.inspect();
    const before = State.StartedAt;
    const alerts = [0, 1].map((n) =>
      makeAlert({
        alertName: 'GuardRestart',
        labels: { container: 'steadfast-test-guard-race', replica: `${n}` },
      }),
    );
    const alertFor = (n: number): Alert => alerts[n] as Alert;
    const ids = [uniqueId('race-a'), uniqueId('race-b')];
    const handles = await Promise.all(
      ids.map((id, n) => startIncident(client, TASK_QUEUE, id, [alertFor(n)])),
    );
    await Promise.all(handles.map((h) => waitForState(h, (s) => s.stage === 'approve')));

    await Promise.all(
      handles.map((h) => h.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] })),
    );
    const states = await Promise.all(
      handles.map((h) => waitForState(h, (s) => s.stage === 'verify' || handedBack(s))),
    );
    const actedIndex = states.findIndex((s) => s.stage === 'verify');
    const refusedIndex = 1 - actedIndex;
    expect(actedIndex).toBeGreaterThanOrEqual(0);
    const refused = states[refusedIndex] as IncidentState;
    expect(handedBack(refused)).toBe(true);
    expect(refused.actions).toHaveLength(1);
    expect(refused.actions[0]?.status).toBe('refused');
    expect(refused.guardRefusal).toContain(
      // Guards count the resolved container, by its ID, however the alert named it.
      `docker/container/${containerId} was changed by incident ${ids[actedIndex]}`,
    );
    expect(refused.guardRefusal).toContain('the cooldown of 10m ends at');
    expect(refused.timeline.map((t) => t.event)).toEqual(
      expect.arrayContaining(['guard-refused', 'handed-to-people', 'awaiting-approval']),
    );

    // People hear at once that the automation stopped, with the reason.
    const noticeFor = (): string | undefined =>
      sink.received.map((b) => JSON.stringify(b)).find((text) => text.includes(ids[refusedIndex] as string));
    for (let i = 0; i < 100 && !noticeFor(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(noticeFor()).toContain('A guard stopped the remediation');

    // The guard holds one reservation for the container: the container was restarted once.
    const held = (await guard().query(guardStateQuery)).reservations.filter(
      (r) => r.target === `docker/container/${containerId}`,
    );
    expect(held.map((r) => r.incidentId)).toEqual([ids[actedIndex]]);
    const after = await container.inspect();
    expect(after.State.StartedAt).not.toBe(before);
    expect(after.State.Running).toBe(true);

    // The fix holds: the acting incident verifies, and a person resolves the other.
    const acting = handles[actedIndex];
    await acting?.signal(alertsSignal, [resolvedAlert(alertFor(actedIndex))]);
    expect((await acting?.result())?.outcome).toBe('verified');
    const other = handles[refusedIndex];
    await other?.executeUpdate(resolveUpdate, {
      args: [{ actor: 'alice', via: 'api', reason: 'fixed by the other' }],
    });
    const final = await other?.result();
    expect(final?.outcome).toBe('resolved');
    expect((await container.inspect()).State.StartedAt).toBe(after.State.StartedAt);
    await recordHistory(client, ids[actedIndex] as string, 'guarded-restart');
    await recordHistory(client, ids[refusedIndex] as string, 'guard-cooldown-refused');
  });

  it("when a plan approved at once by policy is refused by a guard, then it waits for people on the runbook's chain instead of aborting", async () => {
    const queue = `${TASK_QUEUE}-auto`;
    const auto = await startTestWorker(
      testActivities({ runbooks: runbooks(sink.url), docker, recommend: { autoApproveLowRisk: true } }),
      queue,
    );
    try {
      const container = await startTestContainer(docker, 'steadfast-test-guard-auto');
      const alerts = [0, 1].map((n) =>
        makeAlert({
          alertName: 'GuardRestart',
          labels: { container: 'steadfast-test-guard-auto', replica: `${n}` },
        }),
      );
      const ids = [uniqueId('auto-a'), uniqueId('auto-b')];
      const handles = await Promise.all(
        ids.map((id, n) => startIncident(client, queue, id, [alerts[n] as Alert])),
      );
      const states = await Promise.all(
        handles.map((h) => waitForState(h, (s) => s.stage === 'verify' || handedBack(s))),
      );
      const refusedIndex = states.findIndex((s) => handedBack(s));
      expect(refusedIndex).toBeGreaterThanOrEqual(0);
      const refused = handles[refusedIndex] as (typeof handles)[number];

      // The chain starts at once after a refusal: its first level is the runbook's webhook.
      const waiting = await waitForState(refused, (s) => s.escalationLevel === 1);
      expect(waiting.stage).toBe('approve');
      expect(waiting.outcome).toBeUndefined();
      const noticeFor = (): string | undefined =>
        sink.received
          .map((b) => JSON.stringify(b))
          .find((text) => text.includes(ids[refusedIndex] as string));
      for (let i = 0; i < 100 && !noticeFor(); i++) await new Promise((r) => setTimeout(r, 100));
      expect(noticeFor()).toContain('A guard stopped the remediation');
      // Nobody answered, and the incident still waits: the policy never approves, nor aborts, past a guard.
      await new Promise((r) => setTimeout(r, 2000));
      expect((await refused.describe()).status.name).toBe('RUNNING');

      const acting = handles[1 - refusedIndex];
      await acting?.signal(alertsSignal, [resolvedAlert(alerts[1 - refusedIndex] as Alert)]);
      expect((await acting?.result())?.outcome).toBe('verified');
      await refused.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api', reason: 'fixed' }] });
      expect((await refused.result()).outcome).toBe('resolved');
      expect((await container.inspect()).State.Running).toBe(true);
    } finally {
      await auto.stop();
    }
  });

  it('when a step would exceed the rate limit, then it is refused, the step before it is undone on the real container, and approving again is refused too', async () => {
    const container = await startTestContainer(docker, 'steadfast-test-guard-rate', { Memory: 64 * MiB });
    const id = uniqueId('rate');
    const handle = await startIncident(client, TASK_QUEUE, id, [
      makeAlert({ alertName: 'GuardResize', labels: { container: 'steadfast-test-guard-rate' } }),
    ]);
    await waitForState(handle, (s) => s.stage === 'approve');
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    const back = await waitForState(handle, handedBack);
    expect(back.actions.map((a) => a.status)).toEqual(['rolled-back', 'refused']);
    expect(back.guardRefusal).toMatch(
      /docker\/container\/[0-9a-f]{64} already had 1 action\(s\) in the last 1h \(at most 1\); the next is allowed at/,
    );
    expect(await liveMemoryLimit(container)).toBe(64 * MiB);

    // A second round is a new request: the window still holds the first round's action.
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api', reason: 'retry' }] });
    const again = await waitForState(handle, (s) => handedBack(s) && s.round === 2);
    expect(again.actions.map((a) => a.status)).toEqual(['rolled-back', 'refused', 'refused']);
    expect(await liveMemoryLimit(container)).toBe(64 * MiB);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect((await handle.result()).outcome).toBe('resolved');
    await recordHistory(client, id, 'guard-rate-limit-rollback');
  });

  it('when a guard refuses a step after one that cannot be undone, then people are told it stands and that approving again runs it again', async () => {
    const container = await startTestContainer(docker, 'steadfast-test-guard-standing');
    const id = uniqueId('standing');
    const alert = makeAlert({
      alertName: 'GuardStanding',
      labels: { container: 'steadfast-test-guard-standing' },
    });
    const handle = await startIncident(client, TASK_QUEUE, id, [alert], {
      announce: { channel: 'CINCIDENTS' },
    });
    const opened = await waitForState(handle, (s) => s.stage === 'approve' && s.announcement !== undefined);
    const before = (await container.inspect()).State.StartedAt;
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    const back = await waitForState(handle, handedBack);
    expect(back.actions.map((a) => a.status)).toEqual(['done', 'refused']);
    expect((await container.inspect()).State.StartedAt).not.toBe(before);
    const sentence =
      'Already done and not undone: restart container steadfast-test-guard-standing. ' +
      'Approving again runs the whole plan from its first step, these steps too.';
    const handedNote = back.timeline.find((t) => t.event === 'handed-to-people');
    expect(handedNote?.message).toContain(sentence);
    const toldInSlack = async (): Promise<string | undefined> =>
      slack.messages
        .filter((m) => m.threadTs === opened.announcement?.ts)
        .map((m) => m.text)
        .find((t) => t.startsWith('A guard refused an action'));
    for (let i = 0; i < 100 && !(await toldInSlack()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await toldInSlack()).toContain(`${sentence} Approve again to retry, or resolve.`);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect((await handle.result()).outcome).toBe('resolved');
  });

  it('when an incident opens again under its ID within the cooldown, then its first step is a new action, and the guard refuses it', async () => {
    const container = await startTestContainer(docker, 'steadfast-test-guard-reopen');
    const alert = makeAlert({
      alertName: 'GuardReopen',
      labels: { container: 'steadfast-test-guard-reopen' },
    });
    const id = uniqueId('reopen');
    const fixOnce = async () => {
      const handle = await startIncident(client, TASK_QUEUE, id, [alert]);
      await waitForState(handle, (s) => s.stage === 'approve');
      await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
      return handle;
    };
    const first = await fixOnce();
    await waitForState(first, (s) => s.stage === 'verify');
    const restarted = (await container.inspect()).State.StartedAt;
    await first.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await first.result()).outcome).toBe('verified');

    // The same ID, round 0 and step 0 again: before the key named the opening, the guard handed back the
    // first opening's reservation, and the container restarted a second time within its cooldown.
    const again = await fixOnce();
    const back = await waitForState(again, handedBack);
    expect(back.guardRefusal).toMatch(/cooldown|at most 1/);
    expect((await container.inspect()).State.StartedAt).toBe(restarted);
    expect(back.actions).toHaveLength(1);
    expect(back.actions[0]?.status).toBe('refused');
    await recordHistory(client, id, 'guard-step-key-per-opening');
    await again.terminate('test done');
  });

  it('when remediation is paused, then nothing runs until it is resumed and someone approves again', async () => {
    const container = await startTestContainer(docker, 'steadfast-test-guard-pause');
    const before = (await container.inspect()).State.StartedAt;
    const alert = makeAlert({
      alertName: 'GuardPaused',
      labels: { container: 'steadfast-test-guard-pause' },
    });
    const id = uniqueId('pause');
    // Announced in Slack, whose thread is told each decision.
    const handle = await startIncident(client, TASK_QUEUE, id, [alert], {
      announce: { channel: 'CINCIDENTS' },
    });
    const opened = await waitForState(handle, (s) => s.stage === 'approve' && s.announcement !== undefined);

    const paused = await client.workflow.executeUpdateWithStart(pauseUpdate, {
      args: [{ actor: 'bob', reason: 'storage maintenance' }],
      startWorkflowOperation: withGuard(),
    });
    expect(paused.paused?.actor).toBe('bob');
    try {
      await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
      const back = await waitForState(handle, handedBack);
      expect(back.guardRefusal).toMatch(/^remediation is paused by bob since .*: storage maintenance$/);
      expect((await container.inspect()).State.StartedAt).toBe(before);
    } finally {
      await client.workflow.executeUpdateWithStart(resumeUpdate, {
        args: [{ actor: 'bob' }],
        startWorkflowOperation: withGuard(),
      });
    }
    // A click made on the first round's plan that arrives now is not the second round's approval.
    await expect(
      handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'slack', round: 0 }] }),
    ).rejects.toMatchObject({ cause: { type: REFUSAL.stale } });
    expect((await handle.query(stateQuery)).stage).toBe('approve');
    await handle.executeUpdate(approveUpdate, {
      args: [{ actor: 'alice', via: 'api', reason: 'resumed', round: 1 }],
    });
    await waitForState(handle, (s) => s.stage === 'verify');
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    const final = await handle.result();
    expect(final.outcome).toBe('verified');
    expect(final.approvals.filter((a) => a.decision === 'approved').map((a) => a.round ?? 0)).toEqual([0, 1]);
    // Each round's approval is told in its own words, not in the first round's.
    const thread = slack.messages.filter((m) => m.threadTs === opened.announcement?.ts).map((m) => m.text);
    expect(thread.filter((t) => t.startsWith('alice approved'))).toEqual([
      'alice approved the remediation via api',
      'alice approved the remediation via api: resumed',
    ]);
    expect((await container.inspect()).State.StartedAt).not.toBe(before);
    await recordHistory(client, id, 'guard-paused-then-approved');
    // The same run with the round named in its Slack view (ROUND_VIEW_PATCH) and decisions.
    await recordHistory(client, id, 'guard-round-named');
    // With each round's decision told in Slack in its own words (DECISION_TOLD_LATEST_PATCH).
    await recordHistory(client, id, 'guard-decision-told-latest');
    // The guard itself, still running: the reservations, refusals, pause and resume of these scenarios.
    await recordHistory(client, guardWorkflowId(TASK_QUEUE), 'guard-workflow');
  });

  it('when a guard keeps refusing, then after 20 rounds the plan is not approved again: the incident is resolved instead', async () => {
    await startTestContainer(docker, 'steadfast-test-guard-rounds');
    const alert = makeAlert({
      alertName: 'GuardPaused',
      labels: { container: 'steadfast-test-guard-rounds' },
    });
    const handle = await startIncident(client, TASK_QUEUE, uniqueId('rounds'), [alert]);
    await waitForState(handle, (s) => s.stage === 'approve');
    await client.workflow.executeUpdateWithStart(pauseUpdate, {
      args: [{ actor: 'bob', reason: 'a long maintenance' }],
      startWorkflowOperation: withGuard(),
    });
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api', round }] });
        await waitForState(handle, (s) => handedBack(s) && s.round === round + 1);
      }
      await expect(
        handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api', round: MAX_ROUNDS }] }),
      ).rejects.toMatchObject({ cause: { type: REFUSAL.rounds } });
    } finally {
      await client.workflow.executeUpdateWithStart(resumeUpdate, {
        args: [{ actor: 'bob' }],
        startWorkflowOperation: withGuard(),
      });
    }
    const state = await handle.query(stateQuery);
    expect(state.approvals.filter((a) => a.decision === 'approved')).toHaveLength(MAX_ROUNDS);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect((await handle.result()).outcome).toBe('resolved');
  }, 120_000);

  it('when 40 steps ask at once, then they are decided in a few batched updates, no target over its limit, a retry answered as before, and one bad request alone refused', async () => {
    const run = uniqueId('batch');
    const policy = { cooldownMs: 0, windowMs: 3_600_000, maxActionsPerTarget: 2 };
    const ask = (n: number): ReserveRequest => ({
      target: `batch-target-${run}-${n % 4}`,
      action: 'docker.restart',
      incidentId: `batch-incident-${run}-${n}`,
      stepKey: `batch-incident-${run}-${n}/0/0`,
      policy,
    });
    const guardOf = guardClient(client, TASK_QUEUE);
    const requests = [...Array.from({ length: 40 }, (_, n) => ask(n)), ask(3), ask(7)];
    const answers = await Promise.all(requests.map((r) => guardOf.reserve(r)));
    const grantedSteps = new Map<string, Set<string>>();
    requests.forEach((r, i) => {
      if (!answers[i]?.granted) return;
      grantedSteps.set(r.target, (grantedSteps.get(r.target) ?? new Set()).add(r.stepKey));
    });
    expect([...grantedSteps.values()].map((steps) => steps.size)).toEqual([2, 2, 2, 2]);
    // The retries of steps 3 and 7 got the answers their first asks got.
    expect(answers[40]?.granted).toBe(answers[3]?.granted);
    expect(answers[41]?.granted).toBe(answers[7]?.granted);

    // A bad request in a batch: the batch is refused whole, then each is asked alone.
    const bad = { ...ask(99), target: '' };
    const mixed = await Promise.allSettled([ask(40), bad, ask(41)].map((r) => guardOf.reserve(r)));
    expect(mixed.map((m) => m.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refusal = (mixed[1] as PromiseRejectedResult).reason as Error;
    expect((refusal.cause as Error).message).toContain('target must be text');

    // Batched: far fewer updates in the guard's history than requests.
    const history = await guard().fetchHistory();
    const batches = (history.events ?? []).filter(
      (e) =>
        e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'reserveBatch',
    );
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.length).toBeLessThan(10);
    await recordHistory(client, guardWorkflowId(TASK_QUEUE), 'guard-batched');
  });
});
