/**
 * Which workspaces' users may act from Slack, asked of the stand-in of Slack's Web API: the bot token's
 * own workspace (auth.test, asked once), or the ones SLACK_TEAM_IDS names.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { slackWorkspaces } from '../../src/slack/workspace.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { testClient } from '../support/temporal.js';

let slack: SlackStandIn;
let temporal: Client;

beforeAll(async () => {
  slack = await startSlackStandIn();
  temporal = await testClient();
});

afterAll(async () => {
  await slack?.close();
});

/** The gate with its own Web API client, so the auth.test calls counted are its own. */
function workspaces(teams: string[] = []) {
  const client = new WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    logLevel: LogLevel.ERROR,
  });
  return slackWorkspaces({ teams, client, temporal, logger: createLogger('silent') });
}

const authTests = (): number => slack.calls.filter((c) => c.method === 'auth.test').length;
const guest = { actor: 'slack:UGUEST', via: 'button' };

describe('the Slack workspaces whose users may act', () => {
  it("when none is configured, then the bot token's own is learnt once, and its users alone may act", async () => {
    const gate = workspaces();
    const before = authTests();
    expect(await gate.refuse('T1', guest)).toBeUndefined();
    expect(await gate.refuse('T2', guest)).toBe(
      "Refused: slack:UGUEST is a user of another Slack workspace (T2) than Steadfast's, whose users alone may act on its incidents from Slack; nothing changed.",
    );
    expect(await gate.refuse(undefined, guest)).toBe(
      'Refused: Slack did not say which workspace slack:UGUEST belongs to; nothing changed.',
    );
    expect(await gate.refuse('T1', guest)).toBeUndefined();
    expect(authTests() - before).toBe(1);
  });

  it("when the bot token's workspace is part of an Enterprise Grid organisation, then its users, named by the organisation, may act", async () => {
    slack.alterNext(
      (c) => c.method === 'auth.test',
      (answer) => ({ ...answer, enterprise_id: 'E1' }),
    );
    const gate = workspaces();
    expect(await gate.refuse('E1', guest)).toBeUndefined();
    expect(await gate.refuse('E2', guest)).toMatch(/another Slack workspace \(E2\)/);
  });

  it('when Slack cannot be asked, then the click is refused, and the next one asks again', async () => {
    slack.dropNext((c) => c.method === 'auth.test', { acted: false });
    const gate = workspaces();
    const before = authTests();
    expect(await gate.refuse('T1', guest)).toBe(
      'Refused: Steadfast could not ask Slack which workspace it belongs to (auth.test); nothing changed.',
    );
    expect(await gate.refuse('T1', guest)).toBeUndefined();
    expect(authTests() - before).toBe(2);
  });

  it('when SLACK_TEAM_IDS names workspaces, then their users may act, the others not, and Slack is not asked', async () => {
    const gate = workspaces(['T2', 'T3']);
    const before = authTests();
    expect(await gate.refuse('T2', guest)).toBeUndefined();
    expect(await gate.refuse('T3', guest)).toBeUndefined();
    expect(await gate.refuse('T1', guest)).toMatch(
      /^Refused: slack:UGUEST is a user of another Slack workspace \(T1\)/,
    );
    expect(authTests()).toBe(before);
  });

  it('when the workspace a payload names is not shaped like a Slack ID, then it is not repeated to the user', async () => {
    const gate = workspaces(['T2']);
    expect(await gate.refuse('<!channel> *x*', guest)).toBe(
      "Refused: slack:UGUEST is a user of another Slack workspace than Steadfast's, whose users alone may act on its incidents from Slack; nothing changed.",
    );
  });
});
