import type { App, RespondFn } from '@slack/bolt';
import type { Client } from '@temporalio/client';
import type { Decision } from '../domain/incident.js';
import { CHAT_DECISION_WAIT_MS, sendDecision } from '../incidents/decisions.js';
import { guardClient } from '../incidents/guard.js';
import { listIncidents } from '../incidents/list.js';
import type { Logger } from '../lib/logger.js';
import { clipEscaped, slackActor, slackMrkdwn, slackVerbatim } from '../notify/escape.js';
import type { GuardState } from '../workflows/guard.js';
import {
  mayPauseRemediation,
  parseCommand,
  SLASH_COMMAND,
  USAGE,
  type Parsed,
  type SlashCommand,
} from './command.js';
import type { Attempt, SlackWorkspaces } from './workspace.js';

export interface ChatOpsOptions {
  temporal: Client;
  logger: Logger;
  /** The task queue incidents run on: its remediation guard is the one paused and resumed. */
  taskQueue: string;
  /** STEADFAST_APPROVERS: who may pause and resume remediation from Slack. */
  approvers: string[];
  /** The approver groups (`slack-group:<ID>`) a Slack user belongs to, looked up at each command. */
  groupsOf: (userId: string) => Promise<string[]>;
  /** Plain words for a decision the workflow refused (the buttons' own). */
  refusalText: (err: unknown) => string;
  workspaces: SlackWorkspaces;
}

/** What a command answers: private to whoever typed it, unless it changed something everyone shares. */
interface Answer {
  text: string;
  inChannel?: boolean;
}

const DONE = { approve: 'approved', reject: 'rejected', acknowledge: 'acknowledged' } as const;
const STATUS_LIMIT = 15;

function pausedLine(state: GuardState): string {
  const p = state.paused;
  if (!p) return '*Remediation:* running';
  return `*Remediation:* paused by ${slackActor(p.actor)} since ${new Date(p.at).toISOString()}: ${slackMrkdwn(p.reason)}`;
}

async function status(options: ChatOpsOptions): Promise<Answer> {
  const guard = guardClient(options.temporal, options.taskQueue);
  const [state, open] = await Promise.all([
    guard.state(),
    listIncidents(options.temporal, { status: 'open' }, STATUS_LIMIT + 1),
  ]);
  const lines = open.slice(0, STATUS_LIMIT).map((i) => {
    const what = [i.alertName, i.service && `on ${i.service}`, i.severity && `(${i.severity})`]
      .filter(Boolean)
      .join(' ');
    return `• \`${slackMrkdwn(i.incidentId)}\` ${slackMrkdwn(what)}, stage ${slackMrkdwn(i.stage ?? '?')}`;
  });
  const more = open.length > STATUS_LIMIT ? `\n…and more: see the console.` : '';
  const head = open.length === 0 ? 'No open incidents.' : `*Open incidents:*\n${lines.join('\n')}${more}`;
  return { text: `${pausedLine(state)}\n${head}` };
}

async function decide(
  options: ChatOpsOptions,
  command: Extract<SlashCommand, { kind: 'decide' }>,
  userId: string,
): Promise<Answer> {
  const decision: Decision = {
    actor: `slack:${userId}`,
    via: 'slack',
    groups: await options.groupsOf(userId),
    ...(command.reason ? { reason: command.reason } : {}),
    ...(command.override ? { override: true } : {}),
  };
  const { verb, incidentId } = command;
  try {
    await sendDecision(options.temporal, incidentId, verb, decision, Date.now() + CHAT_DECISION_WAIT_MS);
  } catch (err) {
    const why = options.refusalText(err);
    options.logger.warn(
      { event: 'slack.refused', incidentId, actor: decision.actor, verb, why, via: SLASH_COMMAND },
      'refused a Slack decision',
    );
    return { text: slackMrkdwn(why) };
  }
  options.logger.info(
    { event: `slack.${verb}`, incidentId, actor: decision.actor, via: SLASH_COMMAND },
    `${decision.actor} ${DONE[verb]} ${incidentId}`,
  );
  return { text: slackMrkdwn(`Done: you ${DONE[verb]} incident ${incidentId}.`) };
}

/** Pause and resume act on every incident: only STEADFAST_APPROVERS may, and the channel is told. */
async function pauseOrResume(
  options: ChatOpsOptions,
  command: Extract<SlashCommand, { kind: 'pause' | 'resume' }>,
  userId: string,
): Promise<Answer> {
  const actor = `slack:${userId}`;
  const groups = await options.groupsOf(userId);
  if (!mayPauseRemediation(options.approvers, actor, groups)) {
    options.logger.warn(
      {
        event: 'slack.refused',
        actor,
        verb: command.kind,
        via: SLASH_COMMAND,
        why: 'not in STEADFAST_APPROVERS',
      },
      `refused a Slack ${command.kind}`,
    );
    return {
      text: `Nothing changed: only the approvers named in STEADFAST_APPROVERS may ${command.kind} remediation, and ${slackMrkdwn(actor)} is not one.`,
    };
  }
  const guard = guardClient(options.temporal, options.taskQueue);
  const state =
    command.kind === 'pause'
      ? await guard.pause({ actor, reason: command.reason })
      : await guard.resume(actor);
  options.logger.info(
    { event: `slack.${command.kind}`, actor, via: SLASH_COMMAND },
    `${actor} ${command.kind === 'pause' ? 'paused' : 'resumed'} remediation`,
  );
  if (command.kind === 'pause' && state.paused?.actor !== actor) {
    // Already paused by someone else: their pause and reason stand.
    return {
      text: `Nothing changed: ${pausedLine(state).replace('*Remediation:* ', 'remediation was already ')}.`,
    };
  }
  const did =
    command.kind === 'pause' ? `paused remediation: ${slackMrkdwn(command.reason)}` : 'resumed remediation';
  return { text: `${slackActor(actor)} ${did}`, inChannel: true };
}

async function run(options: ChatOpsOptions, command: SlashCommand, userId: string): Promise<Answer> {
  switch (command.kind) {
    case 'help':
      return { text: slackMrkdwn(USAGE) };
    case 'status':
      return status(options);
    case 'decide':
      return decide(options, command, userId);
    case 'pause':
    case 'resume':
      return pauseOrResume(options, command, userId);
  }
}

/**
 * `/steadfast …` from Slack, over the same receiver as the buttons (signed requests to /slack/events,
 * or Socket Mode). The command is acknowledged at once and answered through its response_url.
 * Decisions go through sendDecision, as the buttons' do (the workflow checks the approvers, and a
 * refusal is recorded in the incident's timeline); pause and resume through the remediation guard, as
 * the API's do. Text that is not a command changes nothing and gets a private answer saying why.
 */
export function registerSlashCommand(app: App, options: ChatOpsOptions): void {
  app.command(SLASH_COMMAND, async ({ command, ack, respond }) => {
    await ack();
    const parsed = parseCommand(command.text);
    // A command names no workspace of its user's own, only the one it was typed in.
    const refused = await options.workspaces.refuse(command.team_id, attemptOf(parsed, command.user_id));
    if (refused) return void (await reply(respond, { text: slackMrkdwn(refused) }));
    const answer: Answer = parsed.ok
      ? await run(options, parsed.command, command.user_id).catch((err: unknown) => {
          options.logger.error({ event: 'slack.command-failed', err }, 'a Slack command failed');
          return {
            text: 'That did not go through: Temporal did not answer. See `/steadfast status` before trying again.',
          };
        })
      : { text: slackMrkdwn(parsed.error) };
    await reply(respond, answer);
  });
}

/** What a command tried, for the record of its refusal: a decision names its incident. */
function attemptOf(parsed: Parsed, userId: string): Attempt {
  const attempt = { actor: `slack:${userId}`, via: SLASH_COMMAND };
  if (!parsed.ok || parsed.command.kind !== 'decide') return attempt;
  const { incidentId, verb } = parsed.command;
  return { ...attempt, decision: { incidentId, verb } };
}

/** The answer as a verbatim section too, so Slack neither links nor mentions anything an alert wrote. */
function reply(respond: RespondFn, answer: Answer): Promise<unknown> {
  const text = clipEscaped(answer.text, 3000);
  return respond({
    response_type: answer.inChannel ? 'in_channel' : 'ephemeral',
    replace_original: false,
    text,
    blocks: [{ type: 'section', text: slackVerbatim(text) }],
  });
}
