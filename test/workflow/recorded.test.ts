import type { Client } from '@temporalio/client';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsSignal, approveUpdate } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { liveMemoryLimit, startTestContainer, testDocker } from '../support/docker.js';
import {
  atStage,
  makeAlert,
  recordHistory,
  resolvedAlert,
  scheduledActivities,
  startIncident,
  testDockerScope,
  waitForState,
} from '../support/scenario.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

/**
 * Runs of the incident workflow that take branches the other scenarios do not, each recorded for the
 * replay suite (test/replay): a Slack message on the runbook's own channel, an action that fails after
 * one that is undone, and a dry run.
 */

const TASK_QUEUE = 'recorded-scenarios';
const MiB = 1024 * 1024;

let client: Client;
let worker: TestWorker;
let docker: Docker;
let slack: SlackStandIn;

const runbooks: Record<string, string> = {
  'team.yaml': `
title: Wait it out
match: { alertnames: [RecordedTeamChannel] }
risk: low
approvers: ['slack:UALICE']
slack: { channel: '#payments' }
steps:
  - action: wait
    duration: 1s
verify: { within: 30s, interval: 1s }
`,
  'two-steps.yaml': `
title: Raise the limit, then restart the sidecar
match: { alertnames: [RecordedSecondStepFails] }
risk: medium
approvers: [alice]
steps:
  - action: docker.update-resources
    container: '{{ labels.container }}'
    memory: 96Mi
  - action: docker.restart
    container: '{{ labels.sidecar }}'
    stopTimeout: 2s
${testDockerScope()}
verify: { within: 20s }
`,
  'dry.yaml': `
title: Restart, as a dry run
match: { alertnames: [RecordedDryRun] }
risk: low
approvers: [alice]
dryRun: true
steps:
  - action: docker.restart
    container: '{{ labels.container }}'
    stopTimeout: 2s
${testDockerScope()}
verify: { within: 20s }
`,
};

const uniqueId = (name: string): string => `${name}-${Date.now().toString(36)}`;

beforeAll(async () => {
  docker = testDocker();
  slack = await startSlackStandIn();
  client = await testClient();
  worker = await startTestWorker(
    testActivities({ runbooks, docker, notify: { slack: { token: 'xoxb-test', apiUrl: slack.apiUrl } } }),
    TASK_QUEUE,
  );
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await slack?.close();
});

describe('incident runs recorded for replay', () => {
  it("when the runbook names a Slack channel and SLACK_CHANNEL is unset, then the incident's message goes there and follows it to the end", async () => {
    const id = uniqueId('team-channel');
    const alert = makeAlert({ alertName: 'RecordedTeamChannel', labels: { service: 'web' } });
    const handle = await startIncident(client, TASK_QUEUE, id, [alert]);
    const waiting = await waitForState(handle, (s) => s.stage === 'approve' && s.announcement !== undefined);
    expect(waiting.announcement?.channel).toBe('CPAYMENTS01');
    // Its buttons name the approval round they decide on (ROUND_VIEW_PATCH) and when the incident
    // opened, as the click then does.
    const posted = slack.calls.find(
      (c) => c.method === 'chat.postMessage' && JSON.stringify(c.args['blocks']).includes(id),
    );
    expect(JSON.stringify(posted?.args['blocks'])).toContain(`"value":"${id}#0#${waiting.openedAt}"`);
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'slack:UALICE', via: 'slack', round: 0 }] });
    await waitForState(handle, atStage('verify'));
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    const final = await handle.result();
    expect(final.outcome).toBe('verified');
    const thread = slack.messages.filter((m) => m.threadTs === waiting.announcement?.ts).map((m) => m.text);
    expect(thread).toEqual(
      expect.arrayContaining(['waited 1s', 'remediation verified: all alerts resolved']),
    );
    await recordHistory(client, id, 'slack-runbook-channel');
    await recordHistory(client, id, 'slack-round-named');
  });

  it('when a step fails, then the step before it is undone on the real container and the incident closes as failed', async () => {
    const container = await startTestContainer(docker, 'steadfast-test-recorded-limit', { Memory: 64 * MiB });
    const sidecar = await startTestContainer(docker, 'steadfast-test-recorded-sidecar');
    const id = uniqueId('step-fails');
    const handle = await startIncident(client, TASK_QUEUE, id, [
      makeAlert({
        alertName: 'RecordedSecondStepFails',
        labels: { container: 'steadfast-test-recorded-limit', sidecar: 'steadfast-test-recorded-sidecar' },
      }),
    ]);
    await waitForState(handle, atStage('approve'));
    // The plan names the sidecar; it is gone by the time the second step runs.
    await sidecar.remove({ force: true });
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    const final = await handle.result();
    expect(final.outcome).toBe('failed');
    expect(final.actions.map((a) => a.status)).toEqual(['rolled-back', 'failed']);
    expect(final.timeline.map((t) => t.event)).toEqual(
      expect.arrayContaining(['action-done', 'action-failed', 'rolling-back', 'rolled-back']),
    );
    expect(await liveMemoryLimit(container)).toBe(64 * MiB);
    const events = (await handle.fetchHistory()).events ?? [];
    const ran = scheduledActivities(events);
    expect(ran.filter((a) => /Target|Action$/.test(a))).toEqual([
      'reserveAction',
      'snapshotTarget',
      'applyAction',
      'reserveAction',
      'snapshotTarget',
      'compensateAction',
    ]);
    // Patch triage-fewer-trips: the forecast comes with detection, and the opening record is scheduled
    // by the same workflow task as detection, not one task before it.
    expect(ran.slice(0, 4)).toEqual([
      'recordIncidentOpened',
      'detectAndForecast',
      'checkCalendar',
      'recommendRunbook',
    ]);
    const scheduledBy = (type: string): unknown =>
      events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type)
        ?.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId;
    expect(scheduledBy('detectAndForecast')).toEqual(scheduledBy('recordIncidentOpened'));
    // And the calendar is read beside the recommendation, once: approval opens with that read.
    expect(scheduledBy('checkCalendar')).toEqual(scheduledBy('recommendRunbook'));
    expect(ran.filter((a) => a === 'checkCalendar')).toEqual(['checkCalendar']);
    expect(final.timeline.map((t) => t.event)).toEqual(
      expect.arrayContaining(['detected', 'predicted', 'recommended']),
    );
    // Patch silence-beside-reservation: the silence is asked by the task that asks the first reservation,
    // and the first snapshot waits for its answer.
    expect(scheduledBy('silenceIncident')).toEqual(scheduledBy('reserveAction'));
    const silenceAsked = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'silenceIncident',
    );
    const silenceDone = events.find(
      (e) =>
        Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(silenceAsked?.eventId),
    );
    const firstSnapshot = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'snapshotTarget',
    );
    expect(Number(firstSnapshot?.eventId)).toBeGreaterThan(Number(silenceDone?.eventId));
    // The runs before the patches are kept as action-failed-rollback and fewer-trips-failed-rollback.
    await recordHistory(client, id, 'silence-beside-failed-rollback');
  });

  it('when the runbook is a dry run, then approving previews each step, changes nothing and closes the incident', async () => {
    const container = await startTestContainer(docker, 'steadfast-test-recorded-dry');
    const before = (await container.inspect()).State.StartedAt;
    const id = uniqueId('dry-run');
    const handle = await startIncident(client, TASK_QUEUE, id, [
      makeAlert({ alertName: 'RecordedDryRun', labels: { container: 'steadfast-test-recorded-dry' } }),
    ]);
    const waiting = await waitForState(handle, atStage('approve'));
    expect(waiting.recommendation?.dryRun).toBe(true);
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    const final = await handle.result();
    expect(final.outcome).toBe('dry-run');
    expect(final.actions.map((a) => a.status)).toEqual(['dry-run']);
    expect((await container.inspect()).State.StartedAt).toBe(before);
    const ran = scheduledActivities((await handle.fetchHistory()).events ?? []);
    expect(ran).toContain('recommendRunbook');
    expect(ran.filter((a) => /Target|Action$/.test(a))).toEqual([]);
    await recordHistory(client, id, 'dry-run');
  });
});
