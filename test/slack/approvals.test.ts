import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server.js';
import type { IncidentState } from '../../src/domain/incident.js';
import { APPROVE_ACTION, createSlackApprovals, REJECT_ACTION } from '../../src/slack/approvals.js';
import { alertsSignal, stateQuery } from '../../src/workflows/messages.js';
import { waitForState } from '../support/scenario.js';
import {
  answerTo,
  blockActions,
  openIncident as openSlackIncident,
  postAsSlack,
  slackAppOptions,
  startSlackApi,
  startSlackHarness,
  waitFor,
  type SlackHarness,
  type SlackStandIn,
} from '../support/slack.js';

const TASK_QUEUE = 'slack-tests';
const SIGNING_SECRET = 'test-signing-secret-0123456789';

let client: Client;
let harness: SlackHarness;
let server: RunningServer;
let slack: SlackStandIn;
let clicks = 0;

const RUNBOOK = `
title: Wait it out
match: { alertnames: [SlackTest] }
risk: low
approvers: ['slack:UALICE', 'slack-group:SONCALL']
steps:
  - action: wait
    duration: 1s
verify: { within: 30s, interval: 1s }
`;

/** A plan anyone of the workspace may decide: low risk, and no approvers named. */
const ANYONE_RUNBOOK = `
title: Wait it out, anyone may say so
match: { alertnames: [SlackAnyoneTest] }
risk: low
steps:
  - action: wait
    duration: 1s
verify: { within: 30s, interval: 1s }
`;

/**
 * Posts a button click exactly as Slack does: form-encoded payload, signed with the signing secret;
 * `team` is the clicker's workspace (the bot token's is T1).
 */
async function click(
  actionId: string,
  incidentId: string,
  userId: string,
  options: { secret?: string; ageSeconds?: number; team?: string } = {},
): Promise<{ status: number; ms: number; respondPath: string }> {
  const respondPath = `/respond/${++clicks}`;
  const payload = blockActions(actionId, incidentId, userId, `${slack.url}${respondPath}`, options.team);
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const timestamp = Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0);
  const posted = await postAsSlack(server.url, body, options.secret ?? SIGNING_SECRET, timestamp);
  return { ...posted, respondPath };
}

const openIncident = (name: string, announce?: { channel: string }) =>
  openSlackIncident(client, TASK_QUEUE, name, { alertName: 'SlackTest', ...(announce ? { announce } : {}) });

beforeAll(async () => {
  harness = await startSlackHarness(TASK_QUEUE, {
    runbooks: { 'wait.yaml': RUNBOOK, 'anyone.yaml': ANYONE_RUNBOOK },
  });
  ({ client, slack } = harness);
  const approvals = createSlackApprovals({
    ...slackAppOptions(harness),
    signingSecret: SIGNING_SECRET,
    approverGroups: ['SONCALL'],
  });
  server = await startSlackApi(client, approvals.router, { apiToken: 'slack-test-token-0123456789' });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await harness?.stop();
});

describe('approvals from Slack', () => {
  it('refuses a bad signature and a timestamp older than five minutes, changing nothing', async () => {
    const { id, handle } = await openIncident('slack-forged');
    expect((await click(APPROVE_ACTION, id, 'UALICE', { secret: 'wrong-secret' })).status).toBe(401);
    expect((await click(APPROVE_ACTION, id, 'UALICE', { ageSeconds: 6 * 60 })).status).toBe(401);
    const state: IncidentState = await handle.query(stateQuery);
    expect(state.approvals).toEqual([]);
    expect(state.stage).toBe('approve');
  });

  it('acknowledges at once, refuses someone who is not an approver, and records the attempt', async () => {
    const { id, handle } = await openIncident('slack-mallory');
    const attempt = await click(APPROVE_ACTION, id, 'UMALLORY');
    expect(attempt.status).toBe(200);
    expect(attempt.ms).toBeLessThan(3000);
    expect(await answerTo(slack, attempt.respondPath)).toMatch(
      /^You are not an approver for this incident: slack:UMALLORY/,
    );
    const state = await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'decision-refused'));
    expect(state.approvals).toEqual([]);
    expect(state.timeline.at(-1)?.message).toMatch(
      /slack:UMALLORY tried to approve via slack and was refused/,
    );
  });

  it('lets a member of an approver group approve, and answers a double click without changing anything', async () => {
    const { id, handle } = await openIncident('slack-group');
    const first = await click(APPROVE_ACTION, id, 'UGROUPIE');
    expect(await answerTo(slack, first.respondPath)).toBe(`Done: you approved incident ${id}.`);
    const second = await click(APPROVE_ACTION, id, 'UALICE');
    expect(await answerTo(slack, second.respondPath)).toBe(
      'Nothing changed: this incident was already approved by slack:UGROUPIE.',
    );
    const state = await handle.query(stateQuery);
    expect(state.approvals).toEqual([
      expect.objectContaining({
        decision: 'approved',
        actor: 'slack:UGROUPIE',
        via: 'slack',
        groups: ['slack-group:SONCALL'],
      }),
    ]);
    await handle.signal(alertsSignal, [{ ...state.alerts[0]!, status: 'resolved' }]);
    expect((await handle.result()).outcome).toBe('verified');
  });

  it("refuses a click on another approval round's plan, and takes a message's click without a round as before", async () => {
    const { id, handle } = await openIncident('slack-round');
    const stale = await click(APPROVE_ACTION, `${id}#1`, 'UALICE');
    expect(await answerTo(slack, stale.respondPath)).toMatch(
      /^Not counted: this decision was made on approval round 1, but the incident is in round 0: look at the plan again/,
    );
    const refused = await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'decision-refused'));
    expect(refused.approvals).toEqual([]);
    const current = await click(APPROVE_ACTION, `${id}#0`, 'UALICE');
    expect(await answerTo(slack, current.respondPath)).toBe(`Done: you approved incident ${id}.`);
    const state = await handle.query(stateQuery);
    // The record's round is the incident's; the round the click named is not kept twice.
    expect(state.approvals).toEqual([
      expect.objectContaining({ decision: 'approved', actor: 'slack:UALICE', via: 'slack' }),
    ]);
    expect(state.approvals[0]).not.toHaveProperty('round');
    await handle.signal(alertsSignal, [{ ...state.alerts[0]!, status: 'resolved' }]);
    expect((await handle.result()).outcome).toBe('verified');
  });

  it('refuses a click on a message of an earlier opening of the incident, whose buttons stayed when it closed', async () => {
    const { id, handle } = await openIncident('slack-opened');
    const opened = (await handle.query(stateQuery)).openedAt;
    // The incident ID is used again when an incident opens again: when the message's incident opened tells
    // them apart.
    const earlier = await click(APPROVE_ACTION, `${id}#0#2026-01-01T00:00:00.000Z`, 'UALICE');
    expect(await answerTo(slack, earlier.respondPath)).toMatch(
      new RegExp(
        `^Not counted: this decision was made on an earlier opening of incident ${id}, which closed`,
      ),
    );
    expect((await handle.query(stateQuery)).approvals).toEqual([]);
    const current = await click(APPROVE_ACTION, `${id}#0#${opened}`, 'UALICE');
    expect(await answerTo(slack, current.respondPath)).toBe(`Done: you approved incident ${id}.`);
    const state = await handle.query(stateQuery);
    expect(state.approvals).toEqual([
      expect.objectContaining({ decision: 'approved', actor: 'slack:UALICE' }),
    ]);
    // The opening the click named is not kept in the record.
    expect(state.approvals[0]).not.toHaveProperty('opened');
    await handle.signal(alertsSignal, [{ ...state.alerts[0]!, status: 'resolved' }]);
    expect((await handle.result()).outcome).toBe('verified');
  });

  it('when a user of another workspace (a Slack Connect guest) clicks Approve on a plan anyone may decide, then it is refused privately, the attempt is on the timeline, and a user of the workspace still decides', async () => {
    const { id, handle } = await openSlackIncident(client, TASK_QUEUE, 'slack-guest', {
      alertName: 'SlackAnyoneTest',
    });
    const guest = await click(APPROVE_ACTION, id, 'UGUEST', { team: 'T2' });
    expect(guest.status).toBe(200);
    expect(await answerTo(slack, guest.respondPath)).toBe(
      "Refused: slack:UGUEST is a user of another Slack workspace (T2) than Steadfast's, whose users alone may act on its incidents from Slack; nothing changed.",
    );
    const refused = await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'decision-refused'));
    expect(refused.approvals).toEqual([]);
    expect(refused.timeline.at(-1)).toMatchObject({ actor: 'slack:UGUEST' });
    expect(refused.timeline.at(-1)?.message).toBe(
      "slack:UGUEST tried to approve via slack and was refused: slack:UGUEST is a user of another Slack workspace (T2) than Steadfast's, whose users alone may act on its incidents from Slack",
    );

    const member = await click(REJECT_ACTION, id, 'UBOB');
    expect(await answerTo(slack, member.respondPath)).toBe(`Done: you rejected incident ${id}.`);
    expect((await handle.result()).approvals).toEqual([
      expect.objectContaining({ decision: 'rejected', actor: 'slack:UBOB' }),
    ]);
  });

  it('answers a click on a closed incident plainly', async () => {
    const { id, handle } = await openIncident('slack-closed');
    const reject = await click(REJECT_ACTION, id, 'UALICE');
    expect(await answerTo(slack, reject.respondPath)).toBe(`Done: you rejected incident ${id}.`);
    expect((await handle.result()).outcome).toBe('rejected');
    const late = await click(APPROVE_ACTION, id, 'UALICE');
    expect(await answerTo(slack, late.respondPath)).toMatch(/closed/);
  });

  it('posts the incident with Approve / Reject, then keeps the message current and the details in its thread', async () => {
    const { id, handle } = await openIncident('slack-message', { channel: 'C1' });
    const mine = () => slack.calls.filter((c) => JSON.stringify(c.args).includes(id));
    const posted = await waitFor(() =>
      mine().find((c) => c.method === 'chat.postMessage' && !c.args['thread_ts']),
    );
    expect(posted.token).toBe('Bearer xoxb-test');
    expect(posted.args['channel']).toBe('C1');
    const blocks = JSON.stringify(posted.args['blocks']);
    expect(blocks).toContain('"action_id":"incident_approve"');
    expect(blocks).toContain('"action_id":"incident_reject"');
    // The buttons name the approval round they were shown for, and when the incident opened.
    const { openedAt } = await handle.query(stateQuery);
    expect(blocks).toContain(`"value":"${id}#0#${openedAt}"`);
    expect(blocks).toContain('Awaiting approval');
    expect(blocks).toContain('*Recommended:* Wait it out (low risk)');
    expect(blocks).toContain(`http://127.0.0.1:8233/namespaces/default/workflows/${id}`);
    // The message's ts is recorded by the workflow once the post's answer comes back: waited for.
    const ts = (await waitForState(handle, (s) => s.announcement?.ts !== undefined)).announcement?.ts;
    expect(ts).toMatch(/^\d+\.\d{6}$/);

    await answerTo(slack, (await click(APPROVE_ACTION, id, 'UALICE')).respondPath);
    const approved = await waitFor(() =>
      mine().find(
        (c) =>
          c.method === 'chat.update' && JSON.stringify(c.args['blocks']).includes('Approved by <@UALICE>'),
      ),
    );
    expect(approved.args['ts']).toBe(ts);
    expect(JSON.stringify(approved.args['blocks'])).not.toContain('incident_approve');

    const state = await handle.query(stateQuery);
    await handle.signal(alertsSignal, [{ ...state.alerts[0]!, status: 'resolved' }]);
    expect((await handle.result()).outcome).toBe('verified');
    const last = mine()
      .filter((c) => c.method === 'chat.update')
      .at(-1);
    expect(JSON.stringify(last?.args['blocks'])).toContain('Closed: verified');
    const thread = slack.calls.filter((c) => c.args['thread_ts'] === ts).map((c) => String(c.args['text']));
    expect(thread).toEqual([
      'slack:UALICE approved the remediation via slack',
      'waited 1s',
      'Verified: all alerts resolved',
      'remediation verified: all alerts resolved',
    ]);
  });
});
