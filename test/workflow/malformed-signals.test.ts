/**
 * Signals sent raw, as anyone with access to Temporal can (the CLI, a buggy client), on a real Temporal
 * server: a malformed payload is dropped with a bounded note, and the incident goes on. Before, a null
 * payload failed every retry of the workflow task (the incident stuck, its query failing), a megabyte of
 * text went into the timeline, and a merge answer's megabyte of reason terminated the incident.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/incident.js';
import { ALERT_BOUNDS } from '../../src/workflows/alerts.js';
import { DECISION_BOUNDS } from '../../src/workflows/signal-checks.js';
import { TIMELINE_BOUNDS } from '../../src/workflows/timeline.js';
import {
  alertsSignal,
  approveUpdate,
  MERGE_ANSWER_WAIT_MS,
  mergeUpdate,
  REFUSAL,
  stateQuery,
} from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import {
  atStage,
  makeAlert,
  recordHistory,
  resolvedAlert,
  startIncident,
  updateAnswer,
  waitForState,
  waitRunbook,
} from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'malformed-signals';
/** A queue no worker polls: an incident started there exists, and never answers a merge's question. */
const SILENT_QUEUE = 'malformed-signals-nobody';

let client: Client;
let worker: TestWorker;

beforeAll(async () => {
  client = await testClient();
  worker = await startTestWorker(
    testActivities({ runbooks: { 'wait.yaml': waitRunbook('MalformedSignals') } }),
    TASK_QUEUE,
  );
}, 60_000);

afterAll(async () => {
  await worker?.stop();
});

const uniqueId = (name: string): string => `${name}-${Date.now().toString(36)}`;
const alertOf = (instance: string) =>
  makeAlert({ alertName: 'MalformedSignals', labels: { service: 'malformed', instance } });

/** The messages of failed workflow tasks in the run's history: each one is a retry that wedged it. */
async function failedTasks(handle: WorkflowHandle): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.flatMap((e) => e.workflowTaskFailedEventAttributes?.failure?.message ?? []);
}

const dropped = (s: IncidentState) => s.timeline.filter((t) => t.event === 'signal-dropped');

describe('malformed signals', () => {
  it('when each signal arrives null, of the wrong types or past its bounds, then each is dropped with a note and the incident goes on to its fix', async () => {
    const id = uniqueId('malformed');
    const [a, c] = [alertOf('a'), alertOf('c')];
    const handle = await startIncident(client, TASK_QUEUE, id, [a]);
    await waitForState(handle, atStage('approve'));
    const bigSummary = { ...alertOf('b'), annotations: { summary: 'x'.repeat(ALERT_BOUNDS.alertBytes) } };
    const signals: [string, unknown][] = [
      ['refusedDecision', null],
      [
        'refusedDecision',
        { actor: 'a'.repeat(DECISION_BOUNDS.actor + 1), via: 'cli', decision: 'approve', why: 'no' },
      ],
      ['refusedDecision', { actor: { name: 'x' }, via: 7, decision: 'approve', why: 'no' }],
      ['alerts', null],
      ['alerts', { alerts: [] }],
      ['alerts', [null, { dedupeKey: 'k', status: 'firing' }, bigSummary, c]],
      ['absorbed', null],
      ['absorbed', { from: 'incident-x', actor: 'alice', alerts: 1, firingKeys: 'not a list' }],
      ['mergeAsk', null],
      ['mergeAsk', { from: 'no spaces in an ID' }],
      ['mergeAnswer', null],
      ['mergeAnswer', { from: 'incident-x', absorbs: 'yes' }],
    ];
    for (const [name, payload] of signals) await handle.signal(name, payload);
    const state = await waitForState(handle, (s) => dropped(s).length === signals.length);

    expect(await failedTasks(handle)).toEqual([]);
    expect(dropped(state).map((t) => t.message.split(':')[0])).toEqual([
      'a malformed refusedDecision signal was dropped',
      'a malformed refusedDecision signal was dropped',
      'a malformed refusedDecision signal was dropped',
      'a malformed alerts signal was dropped',
      'a malformed alerts signal was dropped',
      '3 malformed alerts of 4 in an alerts signal dropped (the first)',
      'a malformed absorbed signal was dropped',
      'a malformed absorbed signal was dropped',
      'a malformed mergeAsk signal was dropped',
      'a malformed mergeAsk signal was dropped',
      'a malformed mergeAnswer signal was dropped',
      'a malformed mergeAnswer signal was dropped',
    ]);
    // The well-formed alert beside the malformed ones is taken; nothing of the oversized ones is kept.
    expect(state.alerts.map((a) => a.labels['instance'])).toEqual(['a', 'c']);
    expect(JSON.stringify(state).length).toBeLessThan(32 * 1024);
    expect(state.absorbed).toBeUndefined();

    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    await waitForState(handle, atStage('verify'));
    await handle.signal(alertsSignal, [resolvedAlert(a), resolvedAlert(c)]);
    expect((await handle.result()).outcome).toBe('verified');
    await recordHistory(client, id, 'malformed-signals-dropped');
  }, 60_000);

  it('when malformed signals keep coming, then the timeline keeps the first and the latest notes of them', async () => {
    const id = uniqueId('malformed-flood');
    const handle = await startIncident(client, TASK_QUEUE, id, [alertOf('a')]);
    await waitForState(handle, atStage('approve'));
    const sent = TIMELINE_BOUNDS.first + TIMELINE_BOUNDS.latest + 10;
    for (let i = 0; i < sent; i++) await handle.signal('refusedDecision', null);

    const state = await waitForState(handle, (s) => s.notesDropped?.['dropped signal'] === 10);
    expect(dropped(state)).toHaveLength(TIMELINE_BOUNDS.first + TIMELINE_BOUNDS.latest);
    expect(state.timeline.find((t) => t.event === 'dropped-signal-notes-dropped')?.message).toMatch(
      /^10 dropped signal entries left out/,
    );
    expect(await failedTasks(handle)).toEqual([]);
    await handle.terminate('test done');
  }, 60_000);

  it(
    "when a merge's target seems to answer with a megabyte of reason or a yes that is not true, then neither counts: the merge is refused as unanswered and the incident stays open",
    async () => {
      for (const answer of [{ absorbs: false, why: 'y'.repeat(1_500_000) }, { absorbs: 'yes' }]) {
        const id = uniqueId('merging');
        const target = uniqueId('merge-target');
        const handle = await startIncident(client, TASK_QUEUE, id, [alertOf('a')]);
        const silent = await startIncident(client, SILENT_QUEUE, target, [alertOf('t')]);
        await waitForState(handle, atStage('approve'));

        const merging = updateAnswer(
          handle.executeUpdate(mergeUpdate, { args: [{ into: target, actor: 'alice', via: 'api' }] }),
        );
        await waitForState(handle, (s) => s.mergedInto === target);
        await handle.signal('mergeAnswer', { from: target, ...answer });

        expect(await merging).toBe(REFUSAL.merge);
        const state = await handle.query(stateQuery);
        expect(state.mergedInto).toBeUndefined();
        expect(state.stage).toBe('approve');
        expect(state.timeline.map((t) => t.message)).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/^a malformed mergeAnswer signal was dropped: /),
            `alice could not merge this incident into ${target}: incident ${target} did not answer`,
          ]),
        );
        expect(await failedTasks(handle)).toEqual([]);
        expect((await handle.describe()).status.name).toBe('RUNNING');
        await handle.terminate('test done');
        await silent.terminate('test done');
      }
    },
    4 * MERGE_ANSWER_WAIT_MS + 20_000,
  );
});
