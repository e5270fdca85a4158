import type { WebClient } from '@slack/web-api';
import type { Client } from '@temporalio/client';
import { noteEdgeRefusal, type DecisionVerb } from '../incidents/decisions.js';
import type { Logger } from '../lib/logger.js';

/**
 * Which Slack workspaces' users may act on incidents from Slack. With Slack Connect, users of another
 * organisation can sit in the incidents' channel, click its buttons and type its command; where a
 * runbook names no approvers (a low-risk plan), and for acknowledgements and verdicts, anyone who can
 * click would decide. So every click, form and command is refused unless its user is of a workspace
 * named in SLACK_TEAM_IDS, or, without it, of the bot token's own (learnt once from auth.test).
 */

/** A workspace's (T…) or Enterprise Grid organisation's (E…) ID as Slack writes them. */
const TEAM_ID = /^[TE][A-Z0-9]{1,31}$/;

/** An interaction's payload (a click, a modal's submission): who acted, and where. */
interface Interaction {
  user: { team_id?: string };
  team: { id: string } | null;
}

/**
 * The workspace the user who clicked or submitted belongs to: Slack's `user.team_id` (in an Enterprise
 * Grid, the organisation's ID), else the workspace the interaction came from.
 */
export function teamOf(body: Interaction): string | undefined {
  return body.user.team_id ?? body.team?.id;
}

/** What a refused user tried: a decision on an incident is noted in its timeline, as the workflow's are. */
export interface Attempt {
  actor: string;
  /** Where the log says it came from: a button, the override form, the command, a verdict. */
  via: string;
  decision?: { incidentId: string; verb: DecisionVerb };
}

export interface SlackWorkspaces {
  /**
   * The answer for a user of `team` who may not act here, once logged (and noted in the incident's
   * timeline when they tried a decision); undefined when they may.
   */
  refuse(team: string | undefined, attempt: Attempt): Promise<string | undefined>;
}

export interface WorkspacesOptions {
  /** SLACK_TEAM_IDS; empty: the bot token's own workspace (and its Enterprise Grid organisation). */
  teams: readonly string[];
  /** Asks auth.test; a click waits for it, so it should fail fast rather than retry for minutes. */
  client: WebClient;
  temporal: Client;
  logger: Logger;
}

export function slackWorkspaces(options: WorkspacesOptions): SlackWorkspaces {
  const own = options.teams.length > 0 ? () => Promise.resolve(options.teams) : learnOwn(options);
  return {
    refuse: async (team, attempt) => {
      const why = whyRefused(team, await own(), attempt.actor);
      if (why === undefined) return undefined;
      await record(options, attempt, why);
      return `Refused: ${why}; nothing changed.`;
    },
  };
}

/**
 * The bot token's workspace, asked once: auth.test names it, and the organisation of an Enterprise
 * Grid workspace, whose users Slack names by the organisation. A failed ask is asked again at the next
 * click, which is refused meanwhile.
 */
function learnOwn({ client, logger }: WorkspacesOptions): () => Promise<readonly string[]> {
  let learnt: Promise<readonly string[]> | undefined;
  return () =>
    (learnt ??= client.auth.test().then(
      (r) => [r.team_id, r.enterprise_id].filter((id): id is string => typeof id === 'string' && id !== ''),
      (err: unknown) => {
        learnt = undefined;
        logger.warn({ event: 'slack.workspace-unknown', err }, 'could not learn the Slack workspace');
        return [];
      },
    ));
}

function whyRefused(team: string | undefined, allowed: readonly string[], actor: string): string | undefined {
  if (allowed.length === 0) return 'Steadfast could not ask Slack which workspace it belongs to (auth.test)';
  if (team === undefined) return `Slack did not say which workspace ${actor} belongs to`;
  if (allowed.includes(team)) return undefined;
  // The ID is Slack's, in a signed request; anything unlike one is not repeated to people.
  const shown = TEAM_ID.test(team) ? ` (${team})` : '';
  return `${actor} is a user of another Slack workspace${shown} than Steadfast's, whose users alone may act on its incidents from Slack`;
}

async function record(options: WorkspacesOptions, attempt: Attempt, why: string): Promise<void> {
  const { actor, via, decision } = attempt;
  options.logger.warn(
    { event: 'slack.refused', actor, via, why, ...(decision ?? {}) },
    'refused a Slack action: its user is not known to be of a workspace that may act',
  );
  if (!decision) return;
  await noteEdgeRefusal(options.temporal, decision.incidentId, {
    actor,
    via: 'slack',
    decision: decision.verb,
    why,
  });
}
