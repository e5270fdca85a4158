import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { APPROVE_ACTION, createSlackApprovals, type SlackApprovals } from '../../src/slack/approvals.js';
import { startApi } from '../../src/system.js';
import { alertsSignal } from '../../src/workflows/messages.js';
import { waitForState } from '../support/scenario.js';
import {
  answerTo,
  blockActions,
  openIncident,
  slackAppOptions,
  startSlackHarness,
  waitFor,
  type SlackHarness,
  type SlackStandIn,
} from '../support/slack.js';

const TASK_QUEUE = 'slack-socket-tests';
const APP_TOKEN = 'xapp-1-A1-1234-socketmodetest';

const RUNBOOK = `
title: Wait it out
match: { alertnames: [SocketTest] }
risk: low
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
let clicks = 0;

/** A click delivered the Socket Mode way: an `interactive` envelope over the WebSocket. */
async function click(actionId: string, incidentId: string, userId: string) {
  const respondPath = `/respond/socket-${++clicks}`;
  const delivered = await slack.socket.deliver(
    blockActions(actionId, incidentId, userId, `${slack.url}${respondPath}`),
  );
  return { ...delivered, respondPath };
}

beforeAll(async () => {
  harness = await startSlackHarness(TASK_QUEUE, { runbooks: { 'wait.yaml': RUNBOOK } });
  ({ client, slack } = harness);
  approvals = createSlackApprovals({ ...slackAppOptions(harness), appToken: APP_TOKEN });
  await approvals.start();
}, 120_000);

afterAll(async () => {
  await approvals?.stop();
  await harness?.stop();
});

describe('approvals from Slack in Socket Mode', () => {
  it('opens the WebSocket with the app-level token and serves no HTTP endpoint', () => {
    const opened = slack.calls.filter((c) => c.method === 'apps.connections.open');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.token).toBe(`Bearer ${APP_TOKEN}`);
    expect(slack.socket.connections).toHaveLength(1);
    expect(approvals.router).toBeUndefined();
  });

  it('acknowledges an Approve click on the socket at once, and the approval drives the workflow', async () => {
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'socket-approve', {
      alertName: 'SocketTest',
    });
    const approve = await click(APPROVE_ACTION, id, 'UALICE');
    expect(approve.ack['envelope_id']).toEqual(expect.any(String));
    expect(approve.ms).toBeLessThan(3000);
    expect(await answerTo(slack, approve.respondPath)).toBe(`Done: you approved incident ${id}.`);
    const state = await waitForState(handle, (s) => s.stage === 'verify' || s.stage === 'closed');
    expect(state.approvals).toEqual([
      expect.objectContaining({ decision: 'approved', actor: 'slack:UALICE', via: 'slack' }),
    ]);
    await handle.signal(alertsSignal, [{ ...state.alerts[0]!, status: 'resolved' }]);
    expect((await handle.result()).outcome).toBe('verified');
  });

  it('refuses someone who is not an approver, as over HTTP, and records the attempt', async () => {
    const { id, handle } = await openIncident(client, TASK_QUEUE, 'socket-mallory', {
      alertName: 'SocketTest',
    });
    const attempt = await click(APPROVE_ACTION, id, 'UMALLORY');
    expect(attempt.ms).toBeLessThan(3000);
    expect(await answerTo(slack, attempt.respondPath)).toMatch(
      /^You are not an approver for this incident: slack:UMALLORY/,
    );
    const state = await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'decision-refused'));
    expect(state.approvals).toEqual([]);
    expect(state.stage).toBe('approve');
    expect(state.timeline.at(-1)?.message).toMatch(
      /slack:UMALLORY tried to approve via slack and was refused/,
    );
    await handle.terminate('test done');
  });

  it('when the API starts with an app-level token, then it connects in Socket Mode, serves no /slack/events, and disconnects on stop', async () => {
    const before = slack.socket.connections.length;
    const api = await startApi(
      loadSettings({
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        STEADFAST_API_PORT: '0',
        STEADFAST_API_TOKEN: 'socket-test-token-0123456789',
        SLACK_APP_TOKEN: APP_TOKEN,
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_API_URL: slack.apiUrl,
      }),
      createLogger('silent'),
      createMetrics(),
    );
    try {
      await waitFor(() => (slack.socket.connections.length > before ? true : undefined));
      expect(slack.socket.open()).toBe(2);
      expect((await fetch(`${api.server.url}/slack/events`, { method: 'POST' })).status).toBe(404);
      // The newest connection is the API's: a click on it is answered by the API's handlers.
      const late = await click(APPROVE_ACTION, 'no-such-incident', 'UALICE');
      expect(await answerTo(slack, late.respondPath)).toBe(
        'This incident is closed or no longer exists; nothing changed.',
      );
    } finally {
      await api.stop();
    }
    await waitFor(() => (slack.socket.open() === 1 ? true : undefined));
  });
});
