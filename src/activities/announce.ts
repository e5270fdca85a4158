import type { WebClient } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import type { IncidentState } from '../domain/incident.js';
import type { Logger } from '../lib/logger.js';
import { createSlackClient } from '../notify/slack.js';
import type { SlackSettings } from '../notify/settings.js';
import { incidentBlocks, statusLine } from '../slack/blocks.js';

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
      const posted = await slack().chat.postMessage({
        channel,
        text: `${state.title}: ${statusLine(state)}`,
        blocks: incidentBlocks(state, deps.workflowUrl(state.incidentId)),
        unfurl_links: false,
      });
      if (!posted.ts || !posted.channel) throw new Error('Slack did not return the message it posted');
      return { channel: posted.channel, ts: posted.ts };
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
      await api.chat.update({
        channel: announcement.channel,
        ts: announcement.ts,
        text: `${state.title}: ${statusLine(state)}`,
        blocks: incidentBlocks(state, deps.workflowUrl(state.incidentId)),
      });
      await api.chat.postMessage({ channel: announcement.channel, thread_ts: announcement.ts, text: event });
    },
  };
}
