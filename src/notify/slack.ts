import { LogLevel, WebClient } from '@slack/web-api';
import { SLACK_LITERAL } from './escape.js';
import type { SlackMessage } from './formats.js';
import type { SlackSettings } from './settings.js';
import { messageOf } from '../lib/message-of.js';

export const SLACK_TIMEOUT_MS = 10_000;

export interface SlackSender {
  /** Posts with `chat.postMessage`; a Slack error (`ok: false`), HTTP error or timeout throws. */
  post(message: SlackMessage): Promise<{ channel: string; ts: string }>;
}

/**
 * The Slack Web API client every activity uses. It never retries by itself: the activity fails and
 * Temporal retries it, within the activity's timeout.
 */
export function createSlackClient(settings: SlackSettings): WebClient {
  return new WebClient(settings.token, {
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
    timeout: SLACK_TIMEOUT_MS,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });
}

/** Escalation messages to Slack channels. */
export function createSlackSender(settings: SlackSettings): SlackSender {
  const client = createSlackClient(settings);
  return {
    async post(message) {
      let answer: Awaited<ReturnType<typeof client.chat.postMessage>>;
      try {
        // Whatever built the message, Slack adds no links or mentions of its own to it.
        answer = await client.chat.postMessage({ ...message, ...SLACK_LITERAL });
      } catch (err) {
        throw new Error(`Slack chat.postMessage to ${message.channel} failed: ${messageOf(err)}`);
      }
      return { channel: answer.channel ?? message.channel, ts: answer.ts ?? '' };
    },
  };
}
