import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { IncidentState } from '../domain/incident.js';
import type { Logger } from '../lib/logger.js';
import { clipEscaped, SLACK_LITERAL, slackMrkdwn, slackVerbatim } from '../notify/escape.js';
import { createSlackClient } from '../notify/slack.js';
import type { SlackSettings } from '../notify/settings.js';
import { fallbackText, incidentBlocks, incidentView, type IncidentView } from '../slack/blocks.js';
import { slackLink } from '../slack/links.js';
import { postOnce } from '../slack/post-once.js';

// The metadata event types that mark Steadfast's messages, so a retry finds what an attempt posted.
export const INCIDENT_MESSAGE = 'steadfast_incident';
export const INCIDENT_UPDATE = 'steadfast_incident_update';

export interface AnnounceDeps {
  slack?: SlackSettings;
  workflowUrl: (incidentId: string) => string;
  /** Where people get a closed incident's postmortem draft (the console); without it, no link. */
  postmortemUrl?: (incidentId: string) => string;
  logger: Logger;
}

export interface Announcement {
  channel: string;
  ts: string;
}

/**
 * What the workflow passes: the message's view (incidentView), or, in histories recorded before
 * views, the whole state.
 */
export type IncidentOf = { view: IncidentView } | { state: IncidentState };

const viewOf = (input: IncidentOf): IncidentView =>
  'view' in input ? input.view : incidentView(input.state);

/**
 * A thread reply: the event as a verbatim mrkdwn section, so Slack neither links nor mentions
 * anything in it, and the same escaped text as the notification. The workflow writes events, but they
 * quote alerts, verification messages and the answers of http.call.
 */
function threadReply(event: string, link?: string): { text: string; blocks: KnownBlock[] } {
  const escaped = clipEscaped(slackMrkdwn(event), link ? 2500 : 3000);
  const text = (link ? `${escaped}\n${link}` : escaped) || ' ';
  return { text, blocks: [{ type: 'section', text: slackVerbatim(text) }] };
}

// The server starts an attempt's clock when it hands the task out, a little before the worker begins it.
const DISPATCH_MARGIN_MS = 1000;

/** When the current attempt times out, by this process's clock (postOnce's `deadline`). */
function attemptDeadline(): number {
  return Date.now() + Context.current().info.startToCloseTimeoutMs - DISPATCH_MARGIN_MS;
}

/** Posting and updating the incident's Slack message; stage details go into its thread. */
export function createAnnounceActivities(deps: AnnounceDeps) {
  const client = deps.slack ? createSlackClient(deps.slack) : undefined;
  const slack = (): WebClient => {
    if (!client) {
      throw ApplicationFailure.create({
        type: 'NotificationNotConfigured',
        message: 'Slack is not configured (SLACK_BOT_TOKEN)',
        nonRetryable: true,
      });
    }
    return client;
  };
  return {
    async announceIncident(input: IncidentOf & { channel: string }): Promise<Announcement> {
      const deadline = attemptDeadline();
      const view = viewOf(input);
      const { attempt, scheduledTimestampMs } = Context.current().info;
      return postOnce(
        slack(),
        {
          channel: input.channel,
          text: fallbackText(view),
          blocks: incidentBlocks(view, deps.workflowUrl(view.incidentId)),
          unfurlLinks: false,
        },
        // The opening too: a retry soon after the incident opened again must not adopt the last one's message.
        { eventType: INCIDENT_MESSAGE, payload: { incident_id: view.incidentId, opened_at: view.openedAt } },
        { retry: attempt > 1, since: scheduledTimestampMs, deadline },
      );
    },

    /** Brings the message up to date and adds the event to its thread. */
    async updateAnnouncement(
      input: IncidentOf & { announcement: Announcement; event: string },
    ): Promise<void> {
      const deadline = attemptDeadline();
      const { announcement, event } = input;
      const view = viewOf(input);
      const api = slack();
      const { attempt, scheduledTimestampMs, activityId, workflowExecution, activityRunId } =
        Context.current().info;
      // Unique to this call and kept across its retries: a workflow's activity ID within its run.
      const update = `${workflowExecution?.runId ?? activityRunId ?? ''}/${activityId}`;
      // chat.update sets the message to the same blocks however often it runs; the thread reply does not.
      await api.chat.update({
        channel: announcement.channel,
        ts: announcement.ts,
        text: fallbackText(view),
        blocks: incidentBlocks(view, deps.workflowUrl(view.incidentId)),
        ...SLACK_LITERAL,
      });
      // The closing reply links the postmortem draft (the console drafts it from Temporal at once).
      const postmortem =
        view.stage === 'closed' && deps.postmortemUrl
          ? slackLink(deps.postmortemUrl(view.incidentId), 'Postmortem draft')
          : undefined;
      await postOnce(
        api,
        { channel: announcement.channel, threadTs: announcement.ts, ...threadReply(event, postmortem) },
        { eventType: INCIDENT_UPDATE, payload: { incident_id: view.incidentId, update } },
        { retry: attempt > 1, since: scheduledTimestampMs, deadline },
      );
    },
  };
}
