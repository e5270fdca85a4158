import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/incident.js';
import { APPROVE_ACTION, createSlackApprovals, type SlackApprovals } from '../../src/slack/approvals.js';
import { APPROVE_OVERRIDE_ACTION, OVERRIDE_MODAL } from '../../src/slack/actions.js';
import { REASON_BLOCK } from '../../src/slack/override.js';
import { alertsSignal, stateQuery } from '../../src/workflows/messages.js';
import { atStage, waitForState } from '../support/scenario.js';
import {
  answerTo,
  blockActions,
  openIncident,
  slackAppOptions,
  startSlackHarness,
  viewSubmission,
  waitFor,
  type SlackHarness,
  type SlackStandIn,
} from '../support/slack.js';

/**
 * "Approve with override" from Slack during a change freeze, end to end: a real calendar file with a
 * freeze on, a real incident workflow on the dev server, the real Bolt app in Socket Mode, and the
 * stand-in playing Slack (the message, the click, views.open, the modal's submission).
 */

const TASK_QUEUE = 'slack-override-tests';
const APP_TOKEN = 'xapp-1-A1-1234-overridetest';

const RUNBOOK = `
title: Wait it out
match: { alertnames: [FrozenOverride] }
risk: medium
approvers: ['slack:UALICE']
steps:
  - action: wait
    duration: 1s
verify: { within: 30s, interval: 1s }
`;

let client: Client;
let harness: SlackHarness;
let slack: SlackStandIn;
let approvals: SlackApprovals;

/**
 * The modal's submission, delivered the Socket Mode way, by a user of `team` (the bot token's is T1);
 * resolves with Slack's answer (the ack's payload).
 */
async function submit(
  incidentId: string,
  userId: string,
  reason: string,
  team?: string,
): Promise<Record<string, unknown>> {
  const inputs = { [REASON_BLOCK]: { reason } };
  const payload = viewSubmission(OVERRIDE_MODAL, incidentId, userId, inputs, team);
  const { ack, ms } = await slack.socket.deliver(payload);
  expect(ms).toBeLessThan(3000);
  return (ack['payload'] ?? {}) as Record<string, unknown>;
}

const state = (id: string): Promise<IncidentState> => client.workflow.getHandle(id).query(stateQuery);

beforeAll(async () => {
  const calendar = join(mkdtempSync(join(tmpdir(), 'steadfast-calendar-')), 'calendar.yaml');
  writeFileSync(
    calendar,
    [
      'freezes:',
      '  - name: launch',
      '    reason: "Launch week: no automatic changes"',
      `    start: ${new Date(Date.now() - 3_600_000).toISOString()}`,
      `    end: ${new Date(Date.now() + 3_600_000).toISOString()}`,
    ].join('\n'),
  );
  harness = await startSlackHarness(TASK_QUEUE, {
    runbooks: { 'wait.yaml': RUNBOOK },
    calendar: { file: calendar },
  });
  ({ client, slack } = harness);
  approvals = createSlackApprovals({ ...slackAppOptions(harness), appToken: APP_TOKEN });
  await approvals.start();
}, 120_000);

afterAll(async () => {
  await approvals?.stop();
  await harness?.stop();
});

describe('Approve with override, from Slack, during a change freeze', () => {
  it('when the calendar holds the incident, then its message offers Approve with override, whose modal asks for the reason, and the approval records it and who gave it', async () => {
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'slack-override', {
      alertName: 'FrozenOverride',
      announce: { channel: '#incidents' },
    });
    await waitForState(handle, (s) => s.announcement !== undefined);
    const post = slack.calls.find(
      (c) => c.method === 'chat.postMessage' && JSON.stringify(c.args).includes(id),
    );
    const buttons = JSON.stringify(post?.args['blocks']);
    expect(buttons).toContain(`"action_id":"${APPROVE_OVERRIDE_ACTION}"`);
    expect(buttons).toContain('Approve with override');
    expect(buttons).not.toContain(`"action_id":"${APPROVE_ACTION}"`);
    expect(buttons).toContain('*Change calendar:* change freeze \\"launch\\": Launch week');
    // The button names the round its plan belongs to and when the incident opened; the modal carries them
    // to the approval.
    const value = `${id}#0#${(await state(id)).openedAt}`;
    expect(buttons).toContain(`"value":"${value}"`);

    const click = await slack.socket.deliver(
      blockActions(APPROVE_OVERRIDE_ACTION, value, 'UALICE', `${slack.url}/respond/override-1`),
    );
    expect(click.ms).toBeLessThan(3000);
    const opened = await waitFor(() => slack.calls.find((c) => c.method === 'views.open'));
    expect(opened.args['trigger_id']).toBe('1.2.3');
    expect(opened.args['view']).toMatchObject({ callback_id: OVERRIDE_MODAL, private_metadata: value });

    // A form opened for another round's plan is not this round's approval.
    const stale = await submit(`${id}#1`, 'UALICE', 'customers are down');
    expect(JSON.stringify(stale)).toContain('made on approval round 1, but the incident is in round 0');
    expect((await state(id)).approvals).toEqual([]);
    const answer = await submit(value, 'UALICE', 'customers are down');
    expect(answer).toMatchObject({ response_action: 'update' });
    expect(JSON.stringify(answer)).toContain(`Done: you approved incident ${id} with an override.`);
    const fixing = await waitForState(handle, atStage('verify'));
    expect(fixing.approvals).toMatchObject([
      {
        actor: 'slack:UALICE',
        via: 'slack',
        decision: 'approved',
        override: true,
        reason: 'customers are down',
      },
    ]);
    expect(fixing.timeline.find((t) => t.event === 'approved')?.message).toMatch(
      /^slack:UALICE approved the remediation via slack, overriding change freeze "launch": Launch week: no automatic changes \(until .*\): customers are down$/,
    );
    await handle.signal(alertsSignal, [{ ...fixing.alerts[0]!, status: 'resolved' }]);
    expect((await handle.result()).outcome).toBe('verified');
  });

  it('when Slack will not open the form (its trigger expired), then the clicker is told privately and nothing changes', async () => {
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'slack-override-expired', {
      alertName: 'FrozenOverride',
    });
    const respondPath = '/respond/override-expired';
    const payload = blockActions(APPROVE_OVERRIDE_ACTION, id, 'UALICE', `${slack.url}${respondPath}`);
    await slack.socket.deliver({ ...payload, trigger_id: 'expired' });
    expect(await answerTo(slack, respondPath)).toBe(
      `The form did not open; nothing changed. Try again, or: /steadfast approve ${id} override &lt;reason&gt;`,
    );
    expect((await state(id)).approvals).toEqual([]);
    await handle.terminate('test done');
  });

  it('when the reason is empty, then the modal says so under the reason and nothing changes', async () => {
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'slack-override-empty', {
      alertName: 'FrozenOverride',
    });
    const before = await state(id);
    const answer = await submit(id, 'UALICE', '   ');
    expect(answer).toEqual({
      response_action: 'errors',
      errors: { [REASON_BLOCK]: 'Say why the remediation cannot wait for the freeze to end.' },
    });
    const after = await state(id);
    expect(after.approvals).toEqual([]);
    expect(after.timeline).toEqual(before.timeline);
    await handle.terminate('test done');
  });

  it('when someone who is not an approver submits, then the modal refuses them and the attempt is recorded', async () => {
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'slack-override-mallory', {
      alertName: 'FrozenOverride',
    });
    const answer = await submit(id, 'UMALLORY', 'trust me');
    expect(answer).toMatchObject({ response_action: 'errors' });
    expect((answer['errors'] as Record<string, string>)[REASON_BLOCK]).toMatch(
      /^You are not an approver for this incident: slack:UMALLORY is not an approver for runbook/,
    );
    const refused = await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'decision-refused'));
    expect(refused.approvals).toEqual([]);
    expect(refused.stage).toBe('approve');
    expect(refused.timeline.at(-1)).toMatchObject({ actor: 'slack:UMALLORY' });
    expect(refused.timeline.at(-1)?.message).toMatch(
      /^slack:UMALLORY tried to approve via slack and was refused/,
    );
    await handle.terminate('test done');
  });

  it('when a user of another workspace clicks Approve with override, then the form does not open, and a submission of it is refused too; both are on the timeline', async () => {
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'slack-override-guest', {
      alertName: 'FrozenOverride',
    });
    const opened = slack.calls.filter((c) => c.method === 'views.open').length;
    const respondPath = '/respond/override-guest';
    await slack.socket.deliver(
      blockActions(APPROVE_OVERRIDE_ACTION, id, 'UGUEST', `${slack.url}${respondPath}`, 'T2'),
    );
    const refusal = /^Refused: slack:UGUEST is a user of another Slack workspace \(T2\) than Steadfast's/;
    expect(await answerTo(slack, respondPath)).toMatch(refusal);
    expect(slack.calls.filter((c) => c.method === 'views.open')).toHaveLength(opened);

    const answer = await submit(id, 'UGUEST', 'trust me', 'T2');
    expect(answer).toMatchObject({ response_action: 'errors' });
    expect((answer['errors'] as Record<string, string>)[REASON_BLOCK]).toMatch(refusal);
    const refused = await waitForState(
      handle,
      (s) => s.timeline.filter((t) => t.event === 'decision-refused').length === 2,
    );
    expect(refused.approvals).toEqual([]);
    expect(refused.timeline.at(-1)?.message).toMatch(
      /^slack:UGUEST tried to approve via slack and was refused/,
    );
    await handle.terminate('test done');
  });
});
