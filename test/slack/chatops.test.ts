import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server.js';
import { guardClient } from '../../src/incidents/guard.js';
import { createSlackApprovals, type SlackApprovals } from '../../src/slack/approvals.js';
import { guardWorkflowId } from '../../src/workflows/guard.js';
import { stateQuery } from '../../src/workflows/messages.js';
import { waitForState } from '../support/scenario.js';
import {
  answerTo,
  openIncident as openSlackIncident,
  postAsSlack,
  slackAppOptions,
  slashCommand,
  startSlackApi,
  startSlackHarness,
  waitFor,
  type SlackHarness,
  type SlackStandIn,
} from '../support/slack.js';

const TASK_QUEUE = 'slack-chatops-tests';
const SIGNING_SECRET = 'chatops-signing-secret-0123456789';
const APP_TOKEN = 'xapp-1-A1-1234-chatopstest';

const RUNBOOK = `
title: Wait it out
match: { alertnames: [ChatOpsTest] }
risk: medium
approvers: ['slack:UALICE', 'slack-group:SONCALL']
steps:
  - action: wait
    duration: 1s
verify: { within: 30s, interval: 1s }
`;

let client: Client;
let harness: SlackHarness;
let server: RunningServer;
let slack: SlackStandIn;
let socketMode: SlackApprovals;
let commands = 0;

const chatops = { taskQueue: TASK_QUEUE, approvers: ['slack:UALICE', 'slack-group:SONCALL'] };

/**
 * Types `/steadfast <text>` as Slack posts it: a form body signed with the signing secret, from a user
 * of `team` (the bot token's workspace is T1).
 */
async function type(
  text: string,
  userId: string,
  team?: string,
): Promise<{ status: number; respondPath: string }> {
  const respondPath = `/respond/command-${++commands}`;
  const command = slashCommand(text, userId, `${slack.url}${respondPath}`, team);
  const { status } = await postAsSlack(server.url, new URLSearchParams(command).toString(), SIGNING_SECRET);
  return { status, respondPath };
}

const answer = async (text: string, userId: string, team?: string): Promise<string> => {
  const typed = await type(text, userId, team);
  expect(typed.status).toBe(200);
  return answerTo(slack, typed.respondPath);
};

const openIncident = (name: string) =>
  openSlackIncident(client, TASK_QUEUE, name, { alertName: 'ChatOpsTest' });

beforeAll(async () => {
  harness = await startSlackHarness(TASK_QUEUE, { runbooks: { 'wait.yaml': RUNBOOK } }, { notify: false });
  ({ client, slack } = harness);
  const options = { ...slackAppOptions(harness), approverGroups: ['SONCALL'], chatops };
  const http = createSlackApprovals({ ...options, signingSecret: SIGNING_SECRET });
  server = await startSlackApi(client, http.router, { apiToken: 'chatops-test-token-0123456789' });
  socketMode = createSlackApprovals({ ...options, appToken: APP_TOKEN });
  await socketMode.start();
}, 120_000);

afterAll(async () => {
  await socketMode?.stop();
  await server?.close();
  await client?.workflow
    .getHandle(guardWorkflowId(TASK_QUEUE))
    .terminate('tests done')
    .catch(() => undefined);
  await harness?.stop();
});

describe('/steadfast from Slack', () => {
  it('when an approver types approve with a reason, then the incident is approved as by the button', async () => {
    const { id, handle } = await openIncident('chatops-approve');
    expect(await answer(`approve ${id} memory leak is known, restart it`, 'UALICE')).toBe(
      `Done: you approved incident ${id}.`,
    );
    const state = await handle.query(stateQuery);
    expect(state.approvals).toEqual([
      expect.objectContaining({
        decision: 'approved',
        actor: 'slack:UALICE',
        via: 'slack',
        reason: 'memory leak is known, restart it',
      }),
    ]);
    await handle.terminate('test done');
  });

  it('when someone who is not an approver types approve, then it is refused privately and the attempt is on the timeline', async () => {
    const { id, handle } = await openIncident('chatops-mallory');
    expect(await answer(`approve ${id} trust me`, 'UMALLORY')).toMatch(
      /^You are not an approver for this incident: slack:UMALLORY/,
    );
    const state = await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'decision-refused'));
    expect(state.approvals).toEqual([]);
    expect(state.timeline.at(-1)).toMatchObject({ actor: 'slack:UMALLORY' });
    expect(state.timeline.at(-1)?.message).toMatch(
      /slack:UMALLORY tried to approve via slack and was refused/,
    );
    await handle.terminate('test done');
  });

  it('when a member of an approver group acknowledges and then rejects, then the incident closes rejected', async () => {
    const { id, handle } = await openIncident('chatops-ack');
    expect(await answer(`ack ${id}`, 'UGROUPIE')).toBe(`Done: you acknowledged incident ${id}.`);
    expect(await answer(`reject ${id} not during the sale`, 'UGROUPIE')).toBe(
      `Done: you rejected incident ${id}.`,
    );
    const closed = await handle.result();
    expect(closed.outcome).toBe('rejected');
    expect(closed.approvals.map((a) => [a.decision, a.actor, a.reason])).toEqual([
      ['acknowledged', 'slack:UGROUPIE', undefined],
      ['rejected', 'slack:UGROUPIE', 'not during the sale'],
    ]);
  });

  it('when the text is not a command, then the answer says why, privately, and nothing changes', async () => {
    const { id, handle } = await openIncident('chatops-bad');
    const before = await handle.query(stateQuery);
    expect(await answer(`approve ${id}`, 'UALICE')).toMatch(
      /^Say why: `\/steadfast approve .+ &lt;reason&gt;`/,
    );
    expect(await answer(`restart ${id}`, 'UALICE')).toMatch(/is not a \/steadfast command/);
    expect(await answer('pause', 'UALICE')).toMatch(/^Say why/);
    const after = await handle.query(stateQuery);
    expect(after.timeline).toEqual(before.timeline);
    expect(after.approvals).toEqual([]);
    expect(await guardClient(client, TASK_QUEUE).state()).not.toHaveProperty('paused');
    await handle.terminate('test done');
  });

  it('pauses and resumes remediation for approvers only, tells the channel, and shows it in status', async () => {
    const { id, handle } = await openIncident('chatops-status');
    const guard = guardClient(client, TASK_QUEUE);
    expect(await answer('pause deploy in progress', 'UMALLORY')).toMatch(
      /^Nothing changed: only the approvers named in STEADFAST_APPROVERS may pause remediation/,
    );
    expect((await guard.state()).paused).toBeUndefined();

    const paused = await type('pause deploy in progress', 'UALICE');
    const told = await waitFor(() => slack.responses.find((r) => r.path === paused.respondPath));
    expect(told.body).toMatchObject({
      response_type: 'in_channel',
      text: '<@UALICE> paused remediation: deploy in progress',
    });
    expect((await guard.state()).paused).toMatchObject({
      actor: 'slack:UALICE',
      reason: 'deploy in progress',
    });

    const status = await answer('status', 'UMALLORY');
    expect(status).toMatch(
      /^\*Remediation:\* paused by <@UALICE> since \d{4}-.+: deploy in progress\n\*Open incidents:\*/,
    );
    expect(status).toContain(`\`${id}\` ChatOpsTest on web (critical), stage approve`);

    const resumed = await type('resume', 'UALICE');
    await waitFor(() => slack.responses.find((r) => r.path === resumed.respondPath));
    expect((await guard.state()).paused).toBeUndefined();
    await handle.terminate('test done');
  });

  it('when a user of another workspace types a command, then it is refused privately, a decision is on the timeline, and no other workflow is signalled', async () => {
    const { id, handle } = await openIncident('chatops-guest');
    const refusal =
      "Refused: slack:UGUEST is a user of another Slack workspace (T2) than Steadfast's, whose users alone may act on its incidents from Slack; nothing changed.";
    expect(await answer(`ack ${id}`, 'UGUEST', 'T2')).toBe(refusal);
    const state = await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'decision-refused'));
    expect(state.approvals).toEqual([]);
    expect(state.timeline.at(-1)?.message).toMatch(
      /^slack:UGUEST tried to acknowledge via slack and was refused: slack:UGUEST is a user of another Slack workspace \(T2\)/,
    );
    expect(await answer('status', 'UGUEST', 'T2')).toBe(refusal);

    // An ID typed for another workflow, the remediation guard's, is refused without a signal to it.
    const guard = guardClient(client, TASK_QUEUE);
    await guard.pause({ actor: 'slack:UALICE', reason: 'so the guard runs' });
    await guard.resume('slack:UALICE');
    expect(await answer(`ack ${guardWorkflowId(TASK_QUEUE)}`, 'UGUEST', 'T2')).toBe(refusal);
    const events = (await client.workflow.getHandle(guardWorkflowId(TASK_QUEUE)).fetchHistory()).events;
    const signals = (events ?? []).flatMap(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? [],
    );
    expect(signals).not.toContain('refusedDecision');
    await handle.terminate('test done');
  });

  it('in Socket Mode, acknowledges the command on the socket and answers it the same way', async () => {
    const respondPath = `/respond/socket-command-${++commands}`;
    const delivered = await slack.socket.deliver(
      slashCommand('status', 'UALICE', `${slack.url}${respondPath}`),
      'slash_commands',
    );
    expect(delivered.ack['envelope_id']).toEqual(expect.any(String));
    expect(await answerTo(slack, respondPath)).toMatch(/^\*Remediation:\* running\n/);
  });
});
