import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TIMELINE_BOUNDS } from '../../src/workflows/timeline.js';
import {
  absorbedSignal,
  acknowledgeUpdate,
  alertsSignal,
  mergeUpdate,
  REFUSAL,
  resolveUpdate,
  stateQuery,
} from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import {
  makeAlert,
  recordHistory,
  resolvedAlert,
  startIncident,
  updateAnswer,
  waitForState,
} from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'incident-merge';
const uniqueId = (name: string): string => `${name}-${Date.now().toString(36)}`;
// Both incidents are merged while they still gather alerts, so the scenario never reaches triage.
const GATHERING = { debounceMs: 15_000 };

const PLAN_QUEUE = 'incident-merge-plan';
// A low-risk plan the final policy approves 2 s after approval opens, when nobody answers.
const waitItOut = `
title: Wait it out
match: { alertnames: [MergeWhilePolicy] }
risk: low
approvers: [alice]
approval: { timeout: 2s, finalPolicy: auto-approve }
steps:
  - action: wait
    duration: 1s
verify: { within: 30s, interval: 1s }
`;

let client: Client;
let worker: TestWorker;
let planWorker: TestWorker;

beforeAll(async () => {
  client = await testClient();
  worker = await startTestWorker(testActivities({ runbooks: {} }), TASK_QUEUE);
  planWorker = await startTestWorker(testActivities({ runbooks: { 'wait.yaml': waitItOut } }), PLAN_QUEUE);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await planWorker?.stop();
});

/** The type and message an update was refused with; fails the test if it was not refused. */
async function updateMessage(
  update: Promise<unknown>,
): Promise<{ type: string | null | undefined; message: string }> {
  const err = await update.then(
    () => undefined,
    (e: unknown) => e,
  );
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure)) throw new Error(`the update was not refused: ${String(err)}`);
  return { type: cause.type, message: cause.message };
}

describe('merging one incident into another', () => {
  it("while a merge waits for its target's answer, a resolution is refused; once the merge is undone, it is taken", async () => {
    const id = uniqueId('merge-pending');
    const silentId = uniqueId('merge-silent');
    const incident = await startIncident(
      client,
      TASK_QUEUE,
      id,
      [makeAlert({ alertName: 'HighLatency', labels: { service: 'pending', instance: 'a' } })],
      GATHERING,
    );
    // A target no worker serves: the merge's question to it is never answered.
    const silent = await startIncident(
      client,
      'no-worker-polls-this-queue',
      silentId,
      [makeAlert({ alertName: 'HighLatency', labels: { service: 'silent', instance: 'b' } })],
      GATHERING,
    );
    await waitForState(incident, (s) => s.alerts.length === 1);

    const merging = updateAnswer(
      incident.executeUpdate(mergeUpdate, { args: [{ into: silentId, actor: 'alice', via: 'api' }] }),
    );
    await waitForState(incident, (s) => s.mergedInto === silentId);
    // An alert that arrives while the target is asked is held here, not sent to a target that may refuse.
    const during = makeAlert({ alertName: 'HighLatency', labels: { service: 'pending', instance: 'c' } });
    await incident.signal(alertsSignal, [during]);
    await waitForState(incident, (s) => s.alerts.length === 2);
    const resolving = incident
      .executeUpdate(resolveUpdate, { args: [{ actor: 'bob', via: 'api' }] })
      .catch((e: unknown) => e);
    const refused = (await resolving) as WorkflowUpdateFailedError;
    expect((refused.cause as ApplicationFailure).message).toBe(
      `the incident is being merged into ${silentId} and closes: decide on ${silentId}`,
    );

    // Unanswered, the merge is refused and undone (after its 10 s), and the incident takes decisions again.
    expect([REFUSAL.merge, REFUSAL.closed]).toContain(await merging);
    const sentToSilent = (await silent.fetchHistory()).events?.filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'alerts',
    );
    // Only the alert it was started with: none of the merging incident's.
    expect(sentToSilent).toHaveLength(1);
    expect((await incident.query(stateQuery)).alerts).toHaveLength(2);
    await incident.executeUpdate(resolveUpdate, { args: [{ actor: 'bob', via: 'api' }] });
    expect(await incident.result()).toMatchObject({ outcome: 'resolved' });
    await recordHistory(client, id, 'incident-merge-held-while-asking');
    await silent.terminate('test done');
  }, 60_000);

  it('while a merge waits for its target, the final policy does not approve: it waits for the answer, and approves once the merge is undone', async () => {
    const id = uniqueId('merge-policy');
    const silentId = uniqueId('merge-policy-silent');
    const alert = makeAlert({ alertName: 'MergeWhilePolicy', labels: { service: 'policy', instance: 'a' } });
    const incident = await startIncident(client, PLAN_QUEUE, id, [alert]);
    const silent = await startIncident(
      client,
      'no-worker-polls-this-queue',
      silentId,
      [makeAlert({ alertName: 'MergeWhilePolicy', labels: { service: 'silent', instance: 'b' } })],
      GATHERING,
    );
    await waitForState(incident, (s) => s.stage === 'approve');
    // Asked of a target that never answers, the merge holds for its 10 s: past the policy's 2 s.
    const merging = updateAnswer(
      incident.executeUpdate(mergeUpdate, { args: [{ into: silentId, actor: 'alice', via: 'api' }] }),
    );
    expect([REFUSAL.merge, REFUSAL.closed]).toContain(await merging);
    await waitForState(incident, (s) => s.stage === 'verify');
    await incident.signal(alertsSignal, [resolvedAlert(alert)]);
    const done = await incident.result();
    const events = done.timeline.map((t) => t.event);
    expect(events.indexOf('merge-failed')).toBeGreaterThan(-1);
    expect(events.indexOf('approved')).toBeGreaterThan(events.indexOf('merge-failed'));
    expect(done.approvals.map((a) => a.actor)).toEqual(['policy:auto-approve']);
    expect(done.outcome).toBe('verified');
    await recordHistory(client, id, 'policy-waits-for-merge');
    await silent.terminate('test done');
  }, 60_000);

  it('sends its alerts to the target, records both sides, and closes; a second merge or one into itself is refused', async () => {
    const targetId = uniqueId('merge-target');
    const absorbedId = uniqueId('merge-absorbed');
    const first = makeAlert({ alertName: 'HighLatency', labels: { service: 'checkout', instance: 'a' } });
    const second = makeAlert({ alertName: 'LatencyP99High', labels: { service: 'checkout', instance: 'b' } });
    const target = await startIncident(client, TASK_QUEUE, targetId, [first], GATHERING);
    const absorbed = await startIncident(client, TASK_QUEUE, absorbedId, [second], GATHERING);
    await waitForState(absorbed, (s) => s.alerts.length === 1);

    const self = { into: absorbedId, actor: 'alice', via: 'api' };
    expect(await updateAnswer(absorbed.executeUpdate(mergeUpdate, { args: [self] }))).toBe(REFUSAL.invalid);

    const result = await absorbed.executeUpdate(mergeUpdate, {
      args: [{ into: targetId, actor: 'alice', via: 'api', reason: 'one latency problem' }],
    });
    expect(result).toMatchObject({ incidentId: absorbedId, into: targetId, alertsSent: 1 });
    const again = { into: targetId, actor: 'bob', via: 'api' };
    expect(await updateAnswer(absorbed.executeUpdate(mergeUpdate, { args: [again] }))).toBe(REFUSAL.merge);

    const closed = await absorbed.result();
    expect(closed).toMatchObject({ outcome: 'resolved', mergedInto: targetId, stage: 'closed' });
    expect(closed.timeline.find((t) => t.event === 'merged-into')?.message).toBe(
      `alice merged this incident into ${targetId} via api; its 1 alerts were sent there: one latency problem`,
    );
    const held = await waitForState(target, (s) => (s.absorbed ?? []).includes(absorbedId));
    expect(held.alerts.map((a) => a.fingerprint).sort()).toEqual(
      [first.fingerprint, second.fingerprint].sort(),
    );
    expect(held.timeline.find((t) => t.event === 'absorbed')?.message).toBe(
      `absorbed incident ${absorbedId} (merged by alice); its 1 alerts are held here now`,
    );

    // The absorbed alert resolving at the target counts there like its own.
    await target.signal(alertsSignal, [resolvedAlert(second)]);
    await target.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect((await target.result()).outcome).toBe('resolved');
    // incident-merged-absorbed and -target hold the same scenario from before the handshake.
    await recordHistory(client, absorbedId, 'incident-merged-handshake-absorbed');
    await recordHistory(client, targetId, 'incident-merged-handshake-target');
  }, 90_000);

  it('into each other at once: at most one goes through, and an open incident holds every alert', async () => {
    // Each closed into the other before the handshake, and no open incident held either's alerts.
    const leftId = uniqueId('merge-cycle-left');
    const rightId = uniqueId('merge-cycle-right');
    const leftAlert = makeAlert({ alertName: 'CycleLeft', labels: { service: 'cycle', instance: 'l' } });
    const rightAlert = makeAlert({ alertName: 'CycleRight', labels: { service: 'cycle', instance: 'r' } });
    const left = await startIncident(client, TASK_QUEUE, leftId, [leftAlert], GATHERING);
    const right = await startIncident(client, TASK_QUEUE, rightId, [rightAlert], GATHERING);
    await waitForState(left, (s) => s.alerts.length === 1);
    await waitForState(right, (s) => s.alerts.length === 1);

    const outcome = (p: Promise<unknown>): Promise<string> =>
      p.then(
        () => 'merged',
        (e: unknown) => {
          const cause = e instanceof WorkflowUpdateFailedError ? e.cause : undefined;
          return cause instanceof ApplicationFailure ? (cause.type ?? 'failed') : String(e);
        },
      );
    const outcomes = await Promise.all([
      outcome(left.executeUpdate(mergeUpdate, { args: [{ into: rightId, actor: 'alice', via: 'api' }] })),
      outcome(right.executeUpdate(mergeUpdate, { args: [{ into: leftId, actor: 'bob', via: 'api' }] })),
    ]);

    // Both refused (each asked while the other was merging away), or one merged and the other refused.
    expect(outcomes.filter((o) => o === 'merged').length).toBeLessThanOrEqual(1);
    expect(outcomes.every((o) => o === 'merged' || o === REFUSAL.merge)).toBe(true);
    const states = await Promise.all([left, right].map((h) => h.query(stateQuery).catch(() => undefined)));
    const open = states.filter((s) => s !== undefined && !s.mergedInto && s.stage !== 'closed');
    expect(open.length).toBeGreaterThanOrEqual(1);
    await vi.waitFor(
      async () => {
        const now = await Promise.all(
          open.map((s) => client.workflow.getHandle(s?.incidentId ?? '').query(stateQuery)),
        );
        expect(now.flatMap((s) => s.alerts.map((a) => a.fingerprint)).sort()).toEqual(
          [leftAlert.fingerprint, rightAlert.fingerprint].sort(),
        );
      },
      { timeout: 15_000, interval: 200 },
    );
    for (const s of open) {
      await client.workflow
        .getHandle(s?.incidentId ?? '')
        .executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    }
    expect((await left.result()).stage).toBe('closed');
    expect((await right.result()).stage).toBe('closed');
    await recordHistory(client, leftId, 'incident-merge-cycle-left');
  }, 90_000);

  it('asked for on openings that are gone, or after its sender stopped waiting: refused, and both incidents stay as they were', async () => {
    const targetId = uniqueId('merge-opened-target');
    const absorbedId = uniqueId('merge-opened-absorbed');
    const first = makeAlert({ alertName: 'HighLatency', labels: { service: 'opened', instance: 'a' } });
    const second = makeAlert({ alertName: 'LatencyP99High', labels: { service: 'opened', instance: 'b' } });
    const target = await startIncident(client, TASK_QUEUE, targetId, [first], GATHERING);
    const absorbed = await startIncident(client, TASK_QUEUE, absorbedId, [second], GATHERING);
    const [targetState, absorbedState] = await Promise.all([
      waitForState(target, (s) => s.alerts.length === 1),
      waitForState(absorbed, (s) => s.alerts.length === 1),
    ]);
    const earlier = new Date(Date.parse(absorbedState.openedAt) - 3_600_000).toISOString();
    const base = { into: targetId, actor: 'alice', via: 'api' };

    // A page read before the merged incident's ID closed and opened again.
    const stale = await updateMessage(
      absorbed.executeUpdate(mergeUpdate, { args: [{ ...base, opened: earlier }] }),
    );
    expect(stale).toEqual({
      type: REFUSAL.stale,
      message: `this merge was made on an earlier opening of incident ${absorbedId}, which closed; it opened again at ${absorbedState.openedAt}: look at it again and decide`,
    });
    // A page read before the target's ID closed and opened again: the target refuses.
    const intoOpened = new Date(Date.parse(targetState.openedAt) - 3_600_000).toISOString();
    const reopened = await updateMessage(
      absorbed.executeUpdate(mergeUpdate, { args: [{ ...base, intoOpened }] }),
    );
    expect(reopened).toEqual({
      type: REFUSAL.merge,
      message: `incident ${targetId} cannot take alerts: it opened again at ${targetState.openedAt}, after the merge was asked for on an earlier opening`,
    });
    // Taken up after its sender stopped waiting (the API answered 503): nothing is recorded.
    const expiresAt = new Date(Date.now() - 1000).toISOString();
    const late = await updateMessage(absorbed.executeUpdate(mergeUpdate, { args: [{ ...base, expiresAt }] }));
    expect(late.type).toBe(REFUSAL.expired);

    const after = await absorbed.query(stateQuery);
    expect(after.mergedInto).toBeUndefined();
    expect((await target.query(stateQuery)).alerts).toHaveLength(1);
    // The openings as they are: the merge goes through.
    const result = await absorbed.executeUpdate(mergeUpdate, {
      args: [{ ...base, opened: absorbedState.openedAt, intoOpened: targetState.openedAt }],
    });
    expect(result).toMatchObject({ into: targetId, alertsSent: 1 });
    await waitForState(target, (s) => s.alerts.length === 2);
    await target.terminate('test done');
  });

  it('into an incident that does not exist: refused, noted, and the incident stays open', async () => {
    const id = uniqueId('merge-nowhere');
    const handle = await startIncident(
      client,
      TASK_QUEUE,
      id,
      [makeAlert({ alertName: 'Lonely', labels: { service: 'x' } })],
      GATHERING,
    );
    await waitForState(handle, (s) => s.alerts.length === 1);
    const nowhere = { into: `${id}-nowhere`, actor: 'alice', via: 'api' };
    expect(await updateAnswer(handle.executeUpdate(mergeUpdate, { args: [nowhere] }))).toBe(REFUSAL.closed);
    const state = await handle.query(stateQuery);
    expect(state.mergedInto).toBeUndefined();
    expect(state.timeline.at(-1)).toMatchObject({ event: 'merge-failed', actor: 'alice' });
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    expect((await handle.result()).outcome).toBe('resolved');
  }, 60_000);

  it('while alerts keep arriving: every alert the merged incident took reaches the target, however late in its closing', async () => {
    const lost: string[] = [];
    for (let pair = 0; pair < 3; pair++) {
      const targetId = uniqueId(`merge-stream-target-${pair}`);
      const absorbedId = uniqueId(`merge-stream-absorbed-${pair}`);
      const label = (instance: string) => ({ service: 'stream', instance });
      const target = await startIncident(
        client,
        TASK_QUEUE,
        targetId,
        [makeAlert({ alertName: 'StreamTarget', labels: label('t') })],
        GATHERING,
      );
      const absorbed = await startIncident(
        client,
        TASK_QUEUE,
        absorbedId,
        [makeAlert({ alertName: 'StreamAbsorbed', labels: label('a') })],
        GATHERING,
      );
      await waitForState(absorbed, (s) => s.alerts.length === 1);

      // Alerts every 400 ms until the merged run refuses them (the API then follows the merge itself), on
      // through its closing; fewer than the 50 an incident holds whole, all of which a merge sends.
      const taken: string[] = [];
      const stream = (async () => {
        for (let n = 0; n < 45; n++) {
          const alert = makeAlert({ alertName: 'StreamAbsorbed', labels: label(`n${n}`) });
          const ok = await absorbed.signal(alertsSignal, [alert]).then(
            () => true,
            () => false,
          );
          if (!ok) return;
          taken.push(alert.fingerprint);
          await new Promise((r) => setTimeout(r, 400));
        }
      })();
      await absorbed.executeUpdate(mergeUpdate, { args: [{ into: targetId, actor: 'alice', via: 'api' }] });
      await stream;
      await absorbed.result();
      // The target holds the latest 50 alerts whole; its count of distinct alerts received says the rest.
      const expected = 2 + taken.length;
      const received = async (): Promise<number> => (await target.query(stateQuery)).alertsReceived ?? 0;
      await vi
        .waitFor(async () => expect(await received()).toBe(expected), { timeout: 10_000 })
        .catch(() => {});
      const got = await received();
      if (got !== expected) lost.push(`pair ${pair}: ${expected - got} of ${taken.length}`);
      await target.executeUpdate(resolveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    }
    expect(lost).toEqual([]);
  }, 120_000);

  it('holding more firing alerts than it keeps whole: the target keeps those it was not sent firing until they resolve there', async () => {
    const targetId = uniqueId('merge-many-target');
    const absorbedId = uniqueId('merge-many-absorbed');
    const own = makeAlert({ alertName: 'ManyTarget', labels: { service: 'many', instance: 't' } });
    const many = Array.from({ length: 52 }, (_, n) =>
      makeAlert({ alertName: 'ManyAbsorbed', labels: { service: 'many', instance: `a${n}` } }),
    );
    const target = await startIncident(client, TASK_QUEUE, targetId, [own], GATHERING);
    const absorbed = await startIncident(client, TASK_QUEUE, absorbedId, many, GATHERING);
    // It holds the latest 50 whole; the ledger alone knows the first two still fire.
    await waitForState(absorbed, (s) => s.alerts.length === 50 && s.alertsReceived === 52);
    const result = await absorbed.executeUpdate(mergeUpdate, {
      args: [{ into: targetId, actor: 'alice', via: 'api' }],
    });
    expect(result.alertsSent).toBe(50);
    const held = await waitForState(target, (s) => (s.absorbed ?? []).includes(absorbedId));
    expect(held.alertsReceived).toBe(53);
    expect(held.timeline.find((t) => t.event === 'absorbed-firing')?.message).toBe(
      `2 firing alerts of ${absorbedId} that it did not hold whole count here until they resolve`,
    );

    // Every alert the target holds resolves; the two it was never sent still fire, so it stays open.
    await target.signal(alertsSignal, [own, ...many.slice(2)].map(resolvedAlert));
    const open = await waitForState(target, (s) => s.alerts.every((a) => a.status === 'resolved'));
    expect(Object.values(open.alertLedger ?? {}).filter((mark) => mark === 1)).toHaveLength(2);
    expect((await target.describe()).status.name).toBe('RUNNING');
    // Their resolutions reach the target (ingestion follows the merge) and close them there.
    await target.signal(alertsSignal, many.slice(0, 2).map(resolvedAlert));
    expect((await target.result()).outcome).toBe('resolved');
    await recordHistory(client, absorbedId, 'incident-merged-many-absorbed');
    await recordHistory(client, targetId, 'incident-merged-many-target');
  }, 90_000);
});

describe('an incident that merges without end', () => {
  it('when 60 incidents are merged into it and 60 people acknowledge it, then its timeline keeps the first and the latest of each', async () => {
    const id = uniqueId('merge-without-end');
    const incident = await startIncident(
      client,
      TASK_QUEUE,
      id,
      [makeAlert({ alertName: 'HighLatency', labels: { service: 'merged-into-often' } })],
      GATHERING,
    );
    for (let i = 0; i < 60; i++) {
      // What each merged incident tells its target; here sent as anyone who may signal in Temporal can.
      await incident.signal(absorbedSignal, { from: `${id}-from-${i}`, actor: 'alice', alerts: 0 });
      await incident.executeUpdate(acknowledgeUpdate, { args: [{ actor: `person-${i}`, via: 'api' }] });
    }
    const kept = TIMELINE_BOUNDS.first + TIMELINE_BOUNDS.latest;
    const state = await waitForState(incident, (s) => s.notesDropped?.['merge'] === 60 - kept);

    const absorbed = state.timeline.filter((t) => t.event === 'absorbed');
    expect(absorbed).toHaveLength(kept);
    expect(absorbed.at(-1)?.message).toContain(`${id}-from-59`);
    expect(state.timeline.filter((t) => t.event === 'acknowledged')).toHaveLength(kept);
    expect(state.notesDropped).toMatchObject({ merge: 20, acknowledgement: 20 });
    // Who acknowledged is still known whole: the approvals list is what decisions read.
    expect(state.approvals.filter((a) => a.decision === 'acknowledged')).toHaveLength(60);
    await recordHistory(client, id, 'incident-timeline-caps-merges');
    await incident.terminate('test done');
  }, 120_000);
});
