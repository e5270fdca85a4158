import type { KnownBlock } from '@slack/types';
import type { AnnounceWebhook } from '../domain/incident.js';
import type { Logger } from '../lib/logger.js';
import { clipEscaped, slackMrkdwn, slackPlain } from '../notify/escape.js';
import {
  discordPayload,
  SLACK_POST_FLAGS,
  slackMessage,
  teamsPayload,
  type SlackMessage,
  type DiscordPayload,
  type Notice,
  type TeamsMessageCard,
} from '../notify/formats.js';
import { postJson } from '../notify/http.js';
import { describeSecret } from '../secrets/reference.js';
import { resolveUrl, SecretUnavailableError } from '../secrets/resolve.js';

/**
 * What the workflow says of a new incident to the global announcement webhooks. Every field but
 * `incidentId` comes from the alerts or quotes them: each payload escapes it for its channel.
 */
export interface WebhookAnnouncement {
  incidentId: string;
  title: string;
  service: string;
  severity: string;
  /** The recommendation, or why none will run ("No runbook matched: …"). */
  status: string;
}

export interface AnnounceWebhookDeps {
  logger: Logger;
  /** Where a person can see the incident. */
  incidentUrl: (incidentId: string) => string;
}

// The escalation formats (src/notify/formats.ts) with their escalation words replaced by Steadfast's
// own words for an announcement; their escaping of alert text is kept as it is.
const OPENED = 'Steadfast: new incident';
const LEVEL = 'Escalation level';

function noticeOf(a: WebhookAnnouncement, url: string): Notice {
  return { ...a, level: 0, recommendation: a.status, url };
}

/** A Slack incoming webhook takes text and blocks; it posts to the channel it was made for. */
export function slackAnnouncement(notice: Notice): Omit<SlackMessage, 'channel'> {
  const [, ...rest] = slackMessage(notice, '').blocks;
  const header: KnownBlock = {
    type: 'header',
    text: { type: 'plain_text', text: slackPlain(notice.title).slice(0, 150) || ' ' },
  };
  const text = clipEscaped(`${OPENED}: ${slackMrkdwn(notice.title)} (${slackMrkdwn(notice.service)})`, 3000);
  // As literal as the bot's posts.
  return { text, blocks: [header, ...rest.map(withoutLevel)], ...SLACK_POST_FLAGS };
}

/** The escalation level is not a fact of an announcement. */
function withoutLevel(block: KnownBlock): KnownBlock {
  if (block.type !== 'section' || !block.fields) return block;
  return { ...block, fields: block.fields.filter((f) => !f.text.startsWith(`*${LEVEL}*`)) };
}

export function teamsAnnouncement(notice: Notice): TeamsMessageCard {
  const card = teamsPayload(notice);
  return {
    ...card,
    summary: OPENED,
    title: OPENED,
    text: 'A new incident is open.',
    sections: card.sections.map((s) => ({ ...s, facts: s.facts.filter((f) => f.name !== LEVEL) })),
  };
}

export function discordAnnouncement(notice: Notice): DiscordPayload {
  const payload = discordPayload(notice);
  return {
    ...payload,
    content: `${OPENED}.`,
    embeds: payload.embeds.map((e) => ({
      ...e,
      fields: e.fields.filter((f) => f.name !== LEVEL),
    })),
  };
}

const PAYLOADS: Record<AnnounceWebhook['type'], { what: string; body: (n: Notice) => unknown }> = {
  slack: { what: 'Slack incoming webhook', body: slackAnnouncement },
  teams: { what: 'Microsoft Teams webhook', body: teamsAnnouncement },
  discord: { what: 'Discord webhook', body: discordAnnouncement },
};

export function createAnnounceWebhookActivities(deps: AnnounceWebhookDeps) {
  return {
    /**
     * Announces a new incident to one global webhook: one POST. The workflow calls it once per
     * webhook and never again once it completed, so a retry repeats only this webhook's POST; these
     * webhooks take no idempotency key, so a POST whose answer was lost (a timeout after the receiver
     * took it) may be posted twice. A secret that cannot be read is not retried.
     */
    async announceToWebhook(input: {
      webhook: AnnounceWebhook;
      announcement: WebhookAnnouncement;
    }): Promise<void> {
      const { webhook, announcement } = input;
      const { what, body } = PAYLOADS[webhook.type];
      let url: string;
      try {
        url = await resolveUrl(webhook.url);
      } catch (err) {
        if (err instanceof SecretUnavailableError) throw err.toFailure();
        throw err;
      }
      await postJson(url, body(noticeOf(announcement, deps.incidentUrl(announcement.incidentId))), what);
      deps.logger.info(
        {
          event: 'announce.webhook',
          incidentId: announcement.incidentId,
          target: describeSecret(webhook.url),
        },
        `incident ${announcement.incidentId} announced to the ${what}`,
      );
    },
  };
}
