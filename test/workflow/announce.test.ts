import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnnounceWebhook } from '../../src/domain/incident.js';
import { loadSettings } from '../../src/config/settings.js';
import { ingestConfigFrom, ingestGroup } from '../../src/incidents/ingest.js';
import { acknowledgeUpdate, alertsSignal, approveUpdate } from '../../src/workflows/messages.js';
import type { incidentWorkflow } from '../../src/workflows/incident.js';
import {
  atStage,
  historyWhen,
  makeAlert,
  recordHistory,
  resolvedAlert,
  scheduledActivities,
  startIncident,
  startWebhookSink,
  waitForState,
} from '../support/scenario.js';
import { startSlackHarness, type SlackHarness, type SlackStandIn } from '../support/slack.js';

/**
 * Every incident is announced once triage is done: on its Slack channel (SLACK_CHANNEL) whether or not
 * a runbook matched, and to each global webhook (SLACK_WEBHOOK_URL, TEAMS_WEBHOOK_URL,
 * DISCORD_WEBHOOK_URL) once. Real workflows on the dev server, real HTTP receivers on loopback, and the
 * Slack stand-in for Slack's Web API. Both paths are recorded for the replay suite.
 */

const TASK_QUEUE = 'announce-scenarios';

let client: Client;
let harness: SlackHarness;
let slack: SlackStandIn;
type Sink = Awaited<ReturnType<typeof startWebhookSink>>;
let sinks: Record<AnnounceWebhook['type'], Sink>;

const RUNBOOK = `
title: Wait it out
match: { alertnames: [AnnouncedWithPlan] }
risk: low
approvers: ['slack:UALICE']
steps:
  - action: wait
    duration: 1s
verify: { within: 30s, interval: 1s }
`;

/** The webhooks as the API's settings name them: by environment variable, never by URL. */
const WEBHOOKS: AnnounceWebhook[] = [
  { type: 'slack', url: { secret: { env: 'TEST_ANNOUNCE_SLACK_WEBHOOK' } } },
  { type: 'teams', url: { secret: { env: 'TEST_ANNOUNCE_TEAMS_WEBHOOK' } } },
  { type: 'discord', url: { secret: { env: 'TEST_ANNOUNCE_DISCORD_WEBHOOK' } } },
];
const ANNOUNCE = { channel: '#incidents', webhooks: WEBHOOKS };

const uniqueId = (name: string): string => `${name}-${Date.now().toString(36)}`;
const postsAbout = (id: string) =>
  slack.calls.filter(
    (c) => c.method === 'chat.postMessage' && !c.args['thread_ts'] && JSON.stringify(c.args).includes(id),
  );
const received = (type: AnnounceWebhook['type'], id: string): unknown[] =>
  sinks[type].received.filter((body) => JSON.stringify(body).includes(id));

beforeAll(async () => {
  // Teams is down for the first POST: its retry must not post to the others again.
  sinks = {
    slack: await startWebhookSink(),
    teams: await startWebhookSink({ failFirst: 1 }),
    discord: await startWebhookSink(),
  };
  process.env['TEST_ANNOUNCE_SLACK_WEBHOOK'] = sinks.slack.url;
  process.env['TEST_ANNOUNCE_TEAMS_WEBHOOK'] = sinks.teams.url;
  process.env['TEST_ANNOUNCE_DISCORD_WEBHOOK'] = sinks.discord.url;
  harness = await startSlackHarness(TASK_QUEUE, { runbooks: { 'plan.yaml': RUNBOOK } });
  ({ client, slack } = harness);
}, 120_000);

afterAll(async () => {
  await harness?.stop();
  await Promise.all(Object.values(sinks ?? {}).map((s) => s.close()));
});

describe('every incident is announced', () => {
  it('when no runbook matches, then SLACK_CHANNEL gets a message saying so that follows the incident to its close, and each webhook is told once', async () => {
    const id = uniqueId('no-runbook-announced');
    const alert = makeAlert({ alertName: 'NothingMatchesThis', labels: { service: 'billing' } });
    const handle = await startIncident(client, TASK_QUEUE, id, [alert], { announce: ANNOUNCE });
    const waiting = await waitForState(
      handle,
      (s) => s.announcement !== undefined && s.announcedTo?.length === 3,
    );
    expect(waiting.stage).toBe('recommend');
    expect(waiting.announcement?.channel).toBe('CINCIDENTS');
    const [post] = postsAbout(id);
    expect(post?.args['text']).toBe(
      'NothingMatchesThis in a test: No runbook matched: waiting for people or for the alerts to resolve',
    );
    expect(JSON.stringify(post?.args['blocks'])).toContain(
      '*No runbook matched:* no runbook matches NothingMatchesThis',
    );

    for (const type of ['slack', 'teams', 'discord'] as const) expect(received(type, id)).toHaveLength(1);
    expect(received('slack', id)[0]).toMatchObject({
      text: 'Steadfast: new incident: NothingMatchesThis in a test (billing)',
    });
    const card = received('teams', id)[0] as {
      title: string;
      sections: { text: string; facts: { name: string }[] }[];
    };
    expect(card.title).toBe('Steadfast: new incident');
    expect(card.sections[0]?.text).toMatch(/^No runbook matched: no runbook matches NothingMatchesThis/);
    expect(card.sections[0]?.facts.map((f) => f.name)).toEqual(['Service', 'Severity', 'Incident']);
    expect(received('discord', id)[0]).toMatchObject({ content: 'Steadfast: new incident.' });

    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('no-runbook');
    const updates = slack.calls.filter(
      (c) => c.method === 'chat.update' && c.args['ts'] === waiting.announcement?.ts,
    );
    expect(updates.at(-1)?.args['text']).toBe('NothingMatchesThis in a test: Closed: no-runbook');
    const thread = slack.messages.filter((m) => m.threadTs === waiting.announcement?.ts).map((m) => m.text);
    expect(thread).toEqual(['all alerts resolved; no runbook applied']);
    // One activity per webhook, and no webhook told twice (Teams' retry was its own activity's).
    const events = await historyWhen(handle, () => true);
    expect(scheduledActivities(events).filter((a) => a === 'announceToWebhook')).toHaveLength(3);
    const retried = events.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
    expect(retried).toHaveLength(1);
    expect(postsAbout(id)).toHaveLength(1);
    await recordHistory(client, id, 'no-runbook-announced');
  });

  it('when someone acknowledges an incident no runbook matched, then its message says who owns it, and its thread', async () => {
    const id = uniqueId('no-runbook-acknowledged');
    const alert = makeAlert({ alertName: 'NothingMatchesThis', labels: { service: 'ledger' } });
    const handle = await startIncident(client, TASK_QUEUE, id, [alert], {
      announce: { channel: '#incidents' },
    });
    const { announcement } = await waitForState(handle, (s) => s.announcement !== undefined);
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'slack:UBOB', via: 'slack' }] });
    const thread = (): string[] =>
      slack.messages.filter((m) => m.threadTs === announcement?.ts).map((m) => m.text);
    await waitForState(handle, () => thread().length > 0);
    expect(thread()).toEqual(['slack:UBOB acknowledged the incident: they own it now']);
    const updates = slack.calls.filter(
      (c) => c.method === 'chat.update' && c.args['ts'] === announcement?.ts,
    );
    expect(updates.at(-1)?.args['text']).toBe(
      'NothingMatchesThis in a test: No runbook matched: acknowledged by <@UBOB>',
    );
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('no-runbook');
    expect(thread()).toEqual([
      'slack:UBOB acknowledged the incident: they own it now',
      'all alerts resolved; no runbook applied',
    ]);
    // Patch ack-during-rules: the run before it is kept as no-runbook-acknowledged.
    await recordHistory(client, id, 'no-runbook-acknowledged-told');
  });

  it('when a runbook matches, then each webhook is told of the plan once, as approval opens', async () => {
    const id = uniqueId('plan-announced');
    const alert = makeAlert({ alertName: 'AnnouncedWithPlan', labels: { service: 'web' } });
    const handle = await startIncident(client, TASK_QUEUE, id, [alert], { announce: ANNOUNCE });
    await waitForState(handle, (s) => s.stage === 'approve' && s.announcedTo?.length === 3);
    const card = received('teams', id)[0] as { sections: { text: string }[] };
    expect(card.sections[0]?.text).toMatch(/^Recommended: Wait it out \(low risk\)\./);
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'slack:UALICE', via: 'slack' }] });
    await waitForState(handle, atStage('verify'));
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('verified');
    for (const type of ['slack', 'teams', 'discord'] as const) expect(received(type, id)).toHaveLength(1);
    await recordHistory(client, id, 'plan-announced-to-webhooks');
  });

  it('when a webhook secret is not set, then the timeline says so at once (no retry) and the incident goes on', async () => {
    const id = uniqueId('webhook-unset');
    const alert = makeAlert({ alertName: 'NothingMatchesThis', labels: { service: 'unset' } });
    const webhooks: AnnounceWebhook[] = [
      { type: 'discord', url: { secret: { env: 'TEST_ANNOUNCE_NOT_SET' } } },
    ];
    const handle = await startIncident(client, TASK_QUEUE, id, [alert], { announce: { webhooks } });
    const state = await waitForState(handle, (s) =>
      s.timeline.some((t) => t.event === 'announcement-failed'),
    );
    expect(state.timeline.find((t) => t.event === 'announcement-failed')?.message).toBe(
      'the discord announcement webhook could not be told: secret env:TEST_ANNOUNCE_NOT_SET is not set',
    );
    expect(state.announcedTo).toBeUndefined();
    expect(state.stage).toBe('recommend');
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('no-runbook');
  });

  it('when the settings name a webhook, then an incident opened as the API opens it names it by variable, never by URL, and is announced there', async () => {
    process.env['SLACK_WEBHOOK_URL'] = sinks.slack.url;
    try {
      const settings = loadSettings({ SLACK_WEBHOOK_URL: sinks.slack.url, TEMPORAL_TASK_QUEUE: TASK_QUEUE });
      const alert = makeAlert({ alertName: 'NothingMatchesThis', labels: { service: uniqueId('ingested') } });
      const { incidentId } = await ingestGroup(
        client,
        { ...ingestConfigFrom(settings), debounceMs: 0 },
        {
          commonLabels: alert.labels,
          identity: alert.fingerprint,
          alerts: [alert],
        },
      );
      const handle = client.workflow.getHandle<typeof incidentWorkflow>(incidentId);
      await waitForState(handle, (s) => s.announcedTo?.includes('slack') === true);
      expect(received('slack', incidentId)).toHaveLength(1);
      const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
      const [input] = (started?.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p));
      expect(input).toMatchObject({
        announce: { webhooks: [{ type: 'slack', url: { secret: { env: 'SLACK_WEBHOOK_URL' } } }] },
      });
      expect(JSON.stringify(input)).not.toContain(sinks.slack.url);
      await handle.terminate('test done');
    } finally {
      delete process.env['SLACK_WEBHOOK_URL'];
    }
  });
});
