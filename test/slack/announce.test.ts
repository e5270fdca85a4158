import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import {
  type Announcement,
  createAnnounceActivities,
  INCIDENT_MESSAGE,
} from '../../src/activities/announce.js';
import { createLogger } from '../../src/lib/logger.js';
import { incidentView } from '../../src/slack/blocks.js';
import { consoleIncidentUrl } from '../../src/slack/links.js';
import {
  alertsSignal,
  approveUpdate,
  mergeUpdate,
  REFUSAL,
  rejectUpdate,
  resolveUpdate,
  stateQuery,
} from '../../src/workflows/messages.js';
import { recordHistory, updateAnswer, waitForState } from '../support/scenario.js';
import { openIncident, startSlackHarness, type SlackHarness, type SlackStandIn } from '../support/slack.js';

const TASK_QUEUE = 'slack-announce-tests';
const CONSOLE = 'http://127.0.0.1:8080/';

const runbook = (alert: string, extra = ''): string => `
title: Wait it out
match: { alertnames: [${alert}] }
risk: low
approvers: ['slack:UALICE']
${extra}
steps:
  - action: wait
    duration: 1s
verify: { within: 30s, interval: 1s }
`;

let client: Client;
let harness: SlackHarness;
let slack: SlackStandIn;

const incidentMessages = (id: string) =>
  slack.messages.filter((m) => !m.threadTs && JSON.stringify(m.metadata ?? {}).includes(id));
const incidentPosts = (id: string) =>
  slack.calls.filter(
    (c) => c.method === 'chat.postMessage' && !c.args['thread_ts'] && JSON.stringify(c.args).includes(id),
  );
const announced = (handle: Parameters<typeof waitForState>[0]) =>
  waitForState(handle, (s) => s.announcement !== undefined);

beforeAll(async () => {
  harness = await startSlackHarness(TASK_QUEUE, {
    runbooks: {
      'team.yaml': runbook('TeamChannel', "slack: { channel: '#payments' }"),
      'plain.yaml': runbook('NoChannel'),
    },
    postmortemUrl: (id) => consoleIncidentUrl(CONSOLE, id),
  });
  ({ client, slack } = harness);
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

describe("the incident's Slack channel", () => {
  it("when the runbook names a channel, then the message goes there instead of SLACK_CHANNEL's", async () => {
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'team-channel', {
      alertName: 'TeamChannel',
      announce: { channel: 'CINCIDENTS' },
    });
    const state = await announced(handle);
    expect(incidentPosts(id).map((c) => c.args['channel'])).toEqual(['#payments']);
    expect(incidentMessages(id).map((m) => m.channel)).toEqual(['CPAYMENTS01']);
    expect(state.announcement).toEqual({ channel: 'CPAYMENTS01', ts: incidentMessages(id)[0]?.ts });
    await handle.terminate('test done');
  });

  it('when the runbook names a channel and SLACK_CHANNEL is unset, then the message still goes there', async () => {
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'team-only', { alertName: 'TeamChannel' });
    expect((await announced(handle)).announcement?.channel).toBe('CPAYMENTS01');
    expect(incidentMessages(id)).toHaveLength(1);
    await handle.terminate('test done');
  });

  it('when neither the runbook nor SLACK_CHANNEL names a channel, then nothing is posted', async () => {
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'no-channel', { alertName: 'NoChannel' });
    await handle.executeUpdate(rejectUpdate, { args: [{ actor: 'slack:UALICE', via: 'slack' }] });
    const closed = await handle.result();
    expect(closed.outcome).toBe('rejected');
    expect(closed.announcement).toBeUndefined();
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).map(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name,
    );
    expect(scheduled).toContain('recommendRunbook');
    expect(scheduled).not.toContain('announceIncident');
    expect(slack.calls.filter((c) => JSON.stringify(c.args).includes(id))).toEqual([]);
  });
});

describe('posting the incident message once', () => {
  it('when the answer to the post is lost, then the retry finds the message instead of posting again', async () => {
    slack.dropNext(
      (c) => c.method === 'chat.postMessage' && JSON.stringify(c.args).includes('lost-answer-'),
      {
        acted: true,
      },
    );
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'lost-answer', {
      alertName: 'TeamChannel',
    });
    const state = await announced(handle);
    expect(incidentPosts(id)).toHaveLength(1);
    const [message] = incidentMessages(id);
    expect(message?.metadata).toEqual({
      event_type: INCIDENT_MESSAGE,
      event_payload: { incident_id: id, opened_at: state.openedAt },
    });
    expect(state.announcement).toEqual({ channel: 'CPAYMENTS01', ts: message?.ts });
    // The retry looked the #name up, then the channel's history, before deciding not to post.
    const looked = slack.calls.filter(
      (c) => c.method === 'conversations.history' && c.args['channel'] === 'CPAYMENTS01',
    );
    expect(looked.length).toBeGreaterThan(0);
    expect(slack.calls.some((c) => c.method === 'conversations.list')).toBe(true);
    expect(state.timeline.map((t) => t.event)).not.toContain('announcement-failed');
    await handle.terminate('test done');
  });

  it('when the incident opened again, then a retry does not take the message of the opening before for its own', async () => {
    const { handle } = await openIncident(client, TASK_QUEUE, 'opened-twice', {
      alertName: 'NoChannel',
      announce: { channel: 'CINCIDENTS' },
    });
    const state = await announced(handle);
    await handle.terminate('test done');
    const activities = createAnnounceActivities({
      slack: { token: 'xoxb-test', apiUrl: slack.apiUrl },
      workflowUrl: () => 'http://127.0.0.1:8233/',
      logger: createLogger('silent'),
    });
    // The next opening's first attempt failed after Slack had it, or before: its retry looks.
    const again = {
      ...incidentView(state),
      openedAt: new Date(Date.parse(state.openedAt) + 60_000).toISOString(),
    };
    const retry = new MockActivityEnvironment({
      attempt: 2,
      scheduledTimestampMs: Date.now(),
      startToCloseTimeoutMs: 30_000,
    });
    const posted = await retry.run<[], Announcement, () => Promise<Announcement>>(() =>
      activities.announceIncident({ view: again, channel: 'CINCIDENTS' }),
    );
    expect(posted.ts).not.toBe(state.announcement?.ts);
    expect(slack.messages.filter((m) => m.ts === posted.ts).map((m) => m.metadata)).toEqual([
      {
        event_type: INCIDENT_MESSAGE,
        event_payload: { incident_id: state.incidentId, opened_at: again.openedAt },
      },
    ]);
  });

  it('when Slack answers the post with a reference that is not one, then the state keeps nothing of it and the timeline says so', async () => {
    // A megabyte `ts`: kept, it would ride in the state and in every later chat.update.
    slack.alterNext(
      (c) => c.method === 'chat.postMessage' && JSON.stringify(c.args).includes('odd-answer-'),
      (answer) => ({ ...answer, ts: `1.${'9'.repeat(1024 * 1024)}` }),
    );
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'odd-answer', {
      alertName: 'NoChannel',
      announce: { channel: 'CINCIDENTS' },
    });
    const state = await waitForState(handle, (s) =>
      s.timeline.some((t) => t.event === 'announcement-failed'),
    );
    expect(state.announcement).toBeUndefined();
    expect(state.timeline.find((t) => t.event === 'announcement-failed')?.message).toMatch(
      /^the Slack message could not be posted: Slack answered with a message reference that is not one/,
    );
    expect(JSON.stringify(state).length).toBeLessThan(64 * 1024);
    // Refused for good: asking again would get the same answer, so the post is not repeated.
    expect(incidentPosts(id)).toHaveLength(1);
    await handle.terminate('test done');
  });

  it('when the post never reached Slack, then the retry looks, finds nothing and posts', async () => {
    slack.dropNext(
      (c) => c.method === 'chat.postMessage' && JSON.stringify(c.args).includes('not-arrived-'),
      {
        acted: false,
      },
    );
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'not-arrived', {
      alertName: 'NoChannel',
      announce: { channel: 'CINCIDENTS' },
    });
    const state = await announced(handle);
    expect(incidentPosts(id)).toHaveLength(2);
    expect(incidentMessages(id)).toHaveLength(1);
    expect(state.announcement).toEqual({ channel: 'CINCIDENTS', ts: incidentMessages(id)[0]?.ts });
    const looked = slack.calls.filter(
      (c) => c.method === 'conversations.history' && c.args['channel'] === 'CINCIDENTS',
    );
    expect(looked.length).toBeGreaterThan(0);
    await handle.terminate('test done');
  });

  it('when the answer to a thread reply is lost, then the retry does not reply twice', async () => {
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'lost-reply', {
      alertName: 'NoChannel',
      announce: { channel: 'CINCIDENTS' },
    });
    const ts = (await announced(handle)).announcement?.ts;
    const approvedText = 'slack:UALICE approved the remediation via slack';
    slack.dropNext((c) => c.args['thread_ts'] === ts && c.args['text'] === approvedText, { acted: true });
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'slack:UALICE', via: 'slack' }] });
    const state = await handle.query(stateQuery);
    await handle.signal(alertsSignal, [{ ...state.alerts[0]!, status: 'resolved' }]);
    expect((await handle.result()).outcome).toBe('verified');
    const thread = slack.messages.filter((m) => m.threadTs === ts).map((m) => m.text);
    // The closing reply links the incident's page in the console, where its postmortem draft is.
    expect(thread).toEqual([
      approvedText,
      'waited 1s',
      'Verified: all alerts resolved',
      `remediation verified: all alerts resolved\n<${CONSOLE}#/incidents/${encodeURIComponent(id)}|Postmortem draft>`,
    ]);
    expect(
      slack.calls.filter((c) => c.method === 'conversations.replies' && c.args['ts'] === ts).length,
    ).toBeGreaterThan(0);
    expect(incidentMessages(id)).toHaveLength(1);
    await recordHistory(client, id, 'slack-attempt-30s');
  });

  it('when too little of an attempt is left for a post to end within it, then it is not started: the retry would look before it lands', async () => {
    const { handle } = await openIncident(client, TASK_QUEUE, 'late-reply', {
      alertName: 'NoChannel',
      announce: { channel: 'CINCIDENTS' },
    });
    const state = await announced(handle);
    const announcement = state.announcement!;
    const activities = createAnnounceActivities({
      slack: { token: 'xoxb-test', apiUrl: slack.apiUrl },
      workflowUrl: () => 'http://127.0.0.1:8233/',
      logger: createLogger('silent'),
    });
    const update = (startToCloseTimeoutMs: number, event: string) =>
      new MockActivityEnvironment({ attempt: 1, startToCloseTimeoutMs }).run(() =>
        activities.updateAnnouncement({ state, announcement, event }),
      );
    const replies = () => slack.messages.filter((m) => m.threadTs === announcement.ts).map((m) => m.text);
    const before = replies();
    // A Slack call may take SLACK_TIMEOUT_MS (10 s): in a 10 s attempt a reply could outlast it.
    await expect(update(10_000, 'too late')).rejects.toMatchObject({ type: 'SlackPostDeferred' });
    expect(replies()).toEqual(before);
    await update(30_000, 'in time');
    expect(replies()).toEqual([...before, 'in time']);
    await handle.terminate('test done');
  });

  it('when a person resolves or merges the incident while its approval is told in Slack, then that is refused and the approved fix runs', async () => {
    const { handle } = await openIncident(client, TASK_QUEUE, 'decided-race', {
      alertName: 'NoChannel',
      announce: { channel: 'CINCIDENTS' },
    });
    const ts = (await announced(handle)).announcement?.ts;
    const approvedText = 'slack:UALICE approved the remediation via slack';
    // The reply's first try never arrives: the incident is still telling Slack when the others ask.
    slack.dropNext((c) => c.args['thread_ts'] === ts && c.args['text'] === approvedText, { acted: false });
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'slack:UALICE', via: 'slack' }] });
    const bob = { actor: 'bob', via: 'api' };
    expect(await updateAnswer(handle.executeUpdate(resolveUpdate, { args: [bob] }))).toBe(REFUSAL.wrongStage);
    expect(
      await updateAnswer(
        handle.executeUpdate(mergeUpdate, { args: [{ ...bob, into: 'incident-elsewhere' }] }),
      ),
    ).toBe(REFUSAL.wrongStage);
    const state = await handle.query(stateQuery);
    expect(state.stage).not.toBe('closed');
    await handle.signal(alertsSignal, [{ ...state.alerts[0]!, status: 'resolved' }]);
    const closed = await handle.result();
    expect(closed.outcome).toBe('verified');
    expect(closed.timeline.map((t) => t.event)).not.toContain('resolved-by-human');
  });
});
