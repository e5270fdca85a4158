import { App, ExpressReceiver, LogLevel } from '@slack/bolt';
import { LogLevel as WebLogLevel, WebClient } from '@slack/web-api';
import type { Router } from 'express';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Decision } from '../domain/incident.js';
import type { Logger } from '../lib/logger.js';
import { CHAT_DECISION_WAIT_MS, DecisionUnanswered, sendDecision } from '../incidents/decisions.js';
import { slackMrkdwn } from '../notify/escape.js';
import { REFUSAL } from '../workflows/messages.js';

import { APPROVE_ACTION, parseDecisionValue, REJECT_ACTION } from './actions.js';
import { registerSlashCommand } from './chatops.js';
import { registerOverride } from './override.js';
import { registerVerdictButtons } from './verdicts.js';
import type { Metrics } from '../lib/metrics.js';
import { slackWorkspaces, teamOf, type SlackWorkspaces } from './workspace.js';

export { APPROVE_ACTION, REJECT_ACTION };

export interface SlackApprovalsOptions {
  /** Socket Mode when set: the app opens a WebSocket to Slack (an app-level token, xapp-…). */
  appToken?: string;
  /** Otherwise Slack posts to /slack/events, signed with this secret. */
  signingSecret?: string;
  botToken: string;
  /** The Web API's base URL (`https://slack.com/api/` unless a stand-in is used). */
  apiUrl?: string;
  temporal: Client;
  logger: Logger;
  /** Slack user groups (IDs) approvers may be named by; membership is looked up when someone clicks. */
  approverGroups?: string[];
  /** The `/steadfast` slash command (see chatops.ts); without it, only the buttons are served. */
  chatops?: { taskQueue: string; approvers: string[] };
  /** Where verdicts given with the closed message's buttons are counted; without it they are not served. */
  metrics?: Pick<Metrics, 'falsePositives'>;
  /** SLACK_TEAM_IDS: the workspaces whose users may act; unset or empty, the bot token's own. */
  teams?: string[];
}

const actorOf = (userId: string): string => `slack:${userId}`;

/** Plain words for a refusal, shown only to the person who clicked (or typed the command). */
export function refusalText(err: unknown): string {
  if (err instanceof DecisionUnanswered) return `Not taken: ${err.message}.`;
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    switch (cause.type) {
      case REFUSAL.notAuthorized:
        return `You are not an approver for this incident: ${cause.message}.`;
      case REFUSAL.alreadyDecided:
        return `Nothing changed: this incident was ${cause.message}.`;
      case REFUSAL.closed:
        return 'Nothing changed: this incident is closed.';
      case REFUSAL.wrongStage:
      case REFUSAL.calendarUnread:
        return `Not now: ${cause.message}.`;
      case REFUSAL.stale:
        return `Not counted: ${cause.message}.`;
      default:
        return `Refused: ${cause.message}.`;
    }
  }
  return 'This incident is closed or no longer exists; nothing changed.';
}

export interface SlackApprovals {
  app: App;
  /** POST /slack/events, for the API to serve; absent in Socket Mode, where nothing listens for Slack. */
  router?: Router;
  /** Opens the Socket Mode connection and resolves once Slack says hello; nothing to do over HTTP. */
  start: () => Promise<void>;
  stop: () => Promise<void>;
}

function boltApp(options: SlackApprovalsOptions): { app: App; router?: Router } {
  const common = {
    token: options.botToken,
    logLevel: LogLevel.ERROR,
    // In Socket Mode the same options reach the client that calls apps.connections.open.
    ...(options.apiUrl ? { clientOptions: { slackApiUrl: options.apiUrl } } : {}),
  };
  if (options.appToken) {
    return { app: new App({ ...common, socketMode: true, appToken: options.appToken }) };
  }
  if (!options.signingSecret) throw new Error('Slack approvals need an app-level token or a signing secret');
  const receiver = new ExpressReceiver({ signingSecret: options.signingSecret, logLevel: LogLevel.ERROR });
  return { app: new App({ ...common, receiver }), router: receiver.router };
}

const DONE = { approve: 'approved', reject: 'rejected' } as const;

/** A click on Approve or Reject: the incident, round and opening its button names, and who clicked. */
interface Click {
  incidentId: string;
  round?: number;
  opened?: string;
  userId: string;
  team: string | undefined;
}

/** Sends a click's decision, unless its user is of another workspace; the answer for the clicker alone. */
async function decideOnClick(
  options: SlackApprovalsOptions & {
    workspaces: SlackWorkspaces;
    groupsOf: (userId: string) => Promise<string[]>;
  },
  verb: 'approve' | 'reject',
  { incidentId, round, opened, userId, team }: Click,
): Promise<string> {
  const actor = actorOf(userId);
  const attempt = { actor, via: 'button', decision: { incidentId, verb } };
  const refused = await options.workspaces.refuse(team, attempt);
  if (refused) return refused;
  const decision: Decision = {
    actor,
    via: 'slack',
    groups: await options.groupsOf(userId),
    ...(round !== undefined ? { round } : {}),
    ...(opened !== undefined ? { opened } : {}),
  };
  try {
    await sendDecision(options.temporal, incidentId, verb, decision, Date.now() + CHAT_DECISION_WAIT_MS);
    options.logger.info(
      { event: `slack.${verb}`, incidentId, actor },
      `${actor} ${DONE[verb]} ${incidentId}`,
    );
    return `Done: you ${DONE[verb]} incident ${incidentId}.`;
  } catch (err) {
    const why = refusalText(err);
    options.logger.warn({ event: 'slack.refused', incidentId, actor, why }, 'refused a Slack decision');
    return why;
  }
}

/**
 * A Web API client that gives up within seconds: Bolt's own retries a failed call for about half an hour,
 * and a click waits for what this one asks.
 */
function quickClient(options: SlackApprovalsOptions): WebClient {
  return new WebClient(options.botToken, {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    logLevel: WebLogLevel.ERROR,
    retryConfig: { retries: 1 },
    timeout: 5000,
  });
}

/**
 * Approve and Reject clicks from Slack, delivered either to the interactivity endpoint (POST
 * /slack/events, Bolt's default path, where Bolt verifies every request's signature and timestamp)
 * or, with an app-level token, over a Socket Mode WebSocket the app opens to Slack (no public URL).
 * Either way a click is acknowledged at once (Slack waits 3 seconds at most) and becomes a Workflow
 * Update with the clicker as actor (`slack:<user ID>`). A refused click gets an ephemeral answer and is
 * recorded in the incident's timeline; so is one by a user of another workspace (src/slack/workspace.ts),
 * refused before it is sent.
 */
export function createSlackApprovals(options: SlackApprovalsOptions): SlackApprovals {
  const { app, router } = boltApp(options);
  const quick = quickClient(options);

  // A click's decision waits for these reads, so they give up within seconds (quickClient).
  const groupsOf = async (userId: string): Promise<string[]> => {
    const groups: string[] = [];
    for (const usergroup of options.approverGroups ?? []) {
      const members = await quick.usergroups.users.list({ usergroup }).catch((err: unknown) => {
        options.logger.warn(
          { event: 'slack.usergroup-unavailable', usergroup, err },
          'could not read a user group',
        );
        return { users: [] as string[] };
      });
      if (members.users?.includes(userId)) groups.push(`slack-group:${usergroup}`);
    }
    return groups;
  };

  const workspaces = slackWorkspaces({
    teams: options.teams ?? [],
    client: quick,
    temporal: options.temporal,
    logger: options.logger,
  });
  for (const [actionId, verb] of [
    [APPROVE_ACTION, 'approve'],
    [REJECT_ACTION, 'reject'],
  ] as const) {
    app.action(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      const value = 'value' in action && typeof action.value === 'string' ? action.value : '';
      const click = { ...parseDecisionValue(value), userId: body.user.id, team: teamOf(body) };
      const text = await decideOnClick({ ...options, workspaces, groupsOf }, verb, click);
      await respond({ response_type: 'ephemeral', replace_original: false, text: slackMrkdwn(text) });
    });
  }
  registerOverride(app, {
    temporal: options.temporal,
    logger: options.logger,
    groupsOf,
    refusalText,
    workspaces,
  });
  if (options.chatops) {
    registerSlashCommand(app, {
      ...options.chatops,
      temporal: options.temporal,
      logger: options.logger,
      groupsOf,
      refusalText,
      workspaces,
    });
  }
  if (options.chatops && options.metrics) {
    registerVerdictButtons(app, {
      temporal: options.temporal,
      taskQueue: options.chatops.taskQueue,
      metrics: options.metrics,
      logger: options.logger,
      workspaces,
    });
  }
  if (router) return { app, router, start: async () => undefined, stop: async () => undefined };
  return {
    app,
    start: () => app.start().then(() => undefined),
    stop: () => app.stop().then(() => undefined),
  };
}
