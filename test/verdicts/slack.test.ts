/**
 * Verdict buttons clicked in Slack: signed clicks to the real API's /slack/events (Bolt verifies them),
 * filed in the verdict ledger on a real Temporal worker, answered on a stand-in of Slack's servers.
 */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createSlackApprovals } from '../../src/slack/approvals.js';
import { VERDICT_ACTIONS, verdictBlocks } from '../../src/slack/verdicts.js';
import { verdictLedger } from '../../src/verdicts/client.js';
import { makeAlert, startIncident } from '../support/scenario.js';
import {
  answerTo,
  blockActions,
  postAsSlack,
  slackAppOptions,
  startSlackApi,
  startSlackHarness,
  type SlackHarness,
  type SlackStandIn,
} from '../support/slack.js';

const TASK_QUEUE = 'verdict-slack-tests';
const SECRET = 'verdict-signing-secret-0123456789';

let client: Client;
let harness: SlackHarness;
let server: RunningServer;
let slack: SlackStandIn;
let clicks = 0;

/** A click exactly as Slack posts it: form-encoded, signed with the signing secret; `team` is the clicker's. */
async function click(actionId: string, incidentId: string, userId: string, team?: string): Promise<string> {
  const respondPath = `/respond/${++clicks}`;
  const payload = blockActions(actionId, incidentId, userId, `${slack.url}${respondPath}`, team);
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  expect((await postAsSlack(server.url, body, SECRET)).status).toBe(200);
  return answerTo(slack, respondPath);
}

beforeAll(async () => {
  harness = await startSlackHarness(TASK_QUEUE, { runbooks: {} }, { notify: false });
  ({ client, slack } = harness);
  const metrics = createMetrics();
  const approvals = createSlackApprovals({
    ...slackAppOptions(harness),
    signingSecret: SECRET,
    // As src/system.ts wires it: the buttons are served with the incidents' task queue and the metrics.
    chatops: { taskQueue: TASK_QUEUE, approvers: [] },
    metrics,
  });
  server = await startSlackApi(client, approvals.router, {
    apiToken: 'verdict-slack-token-0123456789',
    metrics,
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await harness?.stop();
});

describe('verdict buttons in Slack', () => {
  it('the buttons carry the incident ID', () => {
    const actions = verdictBlocks('incident-x').find((b) => b.type === 'actions');
    expect(actions).toMatchObject({
      elements: [
        { action_id: VERDICT_ACTIONS.actionable, value: 'incident-x' },
        { action_id: VERDICT_ACTIONS.noise, value: 'incident-x' },
      ],
    });
  });

  it('a click files the clicker’s verdict; the same click again changes nothing; a later one replaces it', async () => {
    const id = `verdict-slack-${Date.now().toString(36)}`;
    await startIncident(client, TASK_QUEUE, id, [
      makeAlert({ alertName: 'VerdictSlack', labels: { service: 'web' } }),
    ]);

    expect(await click(VERDICT_ACTIONS.noise, id, 'UALICE')).toBe(`Recorded: incident ${id} was noise.`);
    expect(await click(VERDICT_ACTIONS.noise, id, 'UALICE')).toBe(
      `Already so: you said incident ${id} was noise.`,
    );
    expect(await click(VERDICT_ACTIONS.actionable, id, 'UBOB')).toBe(
      `Recorded: incident ${id} was actionable.`,
    );

    const entry = (await verdictLedger(client, TASK_QUEUE).read()).entries[id];
    expect(entry?.person).toMatchObject({ verdict: 'actionable', actor: 'slack:UBOB', via: 'slack' });
    expect(entry?.replaced).toMatchObject([{ verdict: 'noise', actor: 'slack:UALICE', via: 'slack' }]);
  });

  it('a click for an incident that does not exist is answered so, and files nothing', async () => {
    const before = await verdictLedger(client, TASK_QUEUE).read();
    expect(await click(VERDICT_ACTIONS.noise, 'no-such-incident', 'UALICE')).toBe(
      'No such incident; nothing changed.',
    );
    expect(await click(VERDICT_ACTIONS.noise, 'bad id with spaces', 'UALICE')).toBe(
      'That button names no incident.',
    );
    expect(await verdictLedger(client, TASK_QUEUE).read()).toEqual(before);
  });

  it('a click from a user of another workspace (a Slack Connect guest) files nothing, and says why', async () => {
    const id = `verdict-slack-guest-${Date.now().toString(36)}`;
    await startIncident(client, TASK_QUEUE, id, [
      makeAlert({ alertName: 'VerdictSlack', labels: { service: 'web' } }),
    ]);
    expect(await click(VERDICT_ACTIONS.noise, id, 'UGUEST', 'T2')).toBe(
      "Refused: slack:UGUEST is a user of another Slack workspace (T2) than Steadfast's, whose users alone may act on its incidents from Slack; nothing changed.",
    );
    expect((await verdictLedger(client, TASK_QUEUE).read()).entries[id]).toBeUndefined();
    await client.workflow.getHandle(id).terminate('test done');
  });
});
