import type { WebClient } from '@slack/web-api';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { IncidentState } from '../domain/incident.js';
import type { Logger } from '../lib/logger.js';
import { createSlackClient } from '../notify/slack.js';
import type { SlackSettings } from '../notify/settings.js';
import { incidentBlocks, statusLine } from '../slack/blocks.js';
import { postOnce } from '../slack/post-once.js';

// The metadata event types that mark Steadfast's messages, so a retry finds what an attempt posted.
export const INCIDENT_MESSAGE = 'steadfast_incident';
export const INCIDENT_UPDATE = 'steadfast_incident_update';

export interface AnnounceDeps {
  slack?: SlackSettings;
  workflowUrl: (incidentId: string) => string;
  logger: Logger;
}

export interface Announcement {
  channel: string;
  ts: string;
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
    async announceIncident({
      state,
      channel,
    }: {
      state: IncidentState;
      channel: string;
    }): Promise<Announcement> {
      const { attempt, scheduledTimestampMs } = Context.current().info;
      return postOnce(
        slack(),
        {
          channel,
          text: `${state.title}: ${statusLine(state)}`,
          blocks: incidentBlocks(state, deps.workflowUrl(state.incidentId)),
          unfurlLinks: false,
        },
        { eventType: INCIDENT_MESSAGE, payload: { incident_id: state.incidentId } },
        { retry: attempt > 1, since: scheduledTimestampMs },
      );
    },

    /** Brings the message up to date and adds the event to its thread. */
    async updateAnnouncement({
      state,
      announcement,
      event,
    }: {
      state: IncidentState;
      announcement: Announcement;
      event: string;
    }): Promise<void> {
      const api = slack();
      const { attempt, scheduledTimestampMs, activityId, workflowExecution, activityRunId } =
        Context.current().info;
      // Unique to this call and kept across its retries: a workflow's activity ID within its run.
      const update = `${workflowExecution?.runId ?? activityRunId ?? ''}/${activityId}`;
      // chat.update sets the message to the same blocks however often it runs; the thread reply does not.
      await api.chat.update({
        channel: announcement.channel,
        ts: announcement.ts,
        text: `${state.title}: ${statusLine(state)}`,
        blocks: incidentBlocks(state, deps.workflowUrl(state.incidentId)),
      });
      await postOnce(
        api,
        { channel: announcement.channel, threadTs: announcement.ts, text: event },
        { eventType: INCIDENT_UPDATE, payload: { incident_id: state.incidentId, update } },
        { retry: attempt > 1, since: scheduledTimestampMs },
      );
    },
  };
}
