import type { KnownBlock } from '@slack/types';
import { cutText } from '../domain/utf8.js';
import {
  clipEscaped,
  cleanText,
  discordMarkdown,
  emailHeader,
  emailText,
  htmlText,
  SLACK_LITERAL,
  slackMrkdwn,
  slackPlain,
  slackVerbatim,
  teamsMarkdown,
} from './escape.js';
/**
 * The escalation notice in each channel's format. Pure: no I/O, the same notice gives the same payloads.
 * Texts are short and factual. Every field of a notice but `level` and `url` comes from the alerts (or,
 * for the recommendation, quotes them), so each is escaped for the channel's markup by src/notify/escape.ts
 * where it meets that markup, and never anywhere else.
 */

export interface Notice {
  incidentId: string;
  level: number;
  title: string;
  service: string;
  severity: string;
  recommendation: string;
  /** Where a person can see the incident. */
  url: string;
}

/** The facts every format shows, in this order. */
export function noticeFacts(notice: Notice): { name: string; value: string }[] {
  return [
    { name: 'Service', value: notice.service },
    { name: 'Severity', value: notice.severity },
    { name: 'Escalation level', value: String(notice.level) },
    { name: 'Incident', value: notice.incidentId },
  ];
}

/** One line that says it all: for subjects, summaries and plain-text fallbacks. */
export function headline(notice: Notice): string {
  return `Escalation level ${notice.level}: ${notice.title} (${notice.service}, ${notice.severity})`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${cutText(text, max - 1)}…`;
}

// --- generic webhook -------------------------------------------------------------------------------

export type WebhookPayload = { event: 'incident.escalated' } & Notice;

/**
 * The generic outgoing webhook's JSON body (unchanged fields since the first version). Its fields are
 * data, not markup: the receiver escapes them for wherever it shows them. Only control and
 * text-direction characters are taken out.
 */
export function webhookPayload(notice: Notice): WebhookPayload {
  return {
    event: 'incident.escalated',
    incidentId: cleanText(notice.incidentId),
    level: notice.level,
    title: cleanText(notice.title),
    service: cleanText(notice.service),
    severity: cleanText(notice.severity),
    recommendation: cleanText(notice.recommendation),
    url: notice.url,
  };
}

// --- colours by severity ----------------------------------------------------------------------------

const SEVERITY_COLOURS: Record<string, number> = {
  critical: 0xd7000c,
  high: 0xe8590c,
  error: 0xe8590c,
  warning: 0xf2c744,
  predicted: 0x2f80ed,
  info: 0x2f80ed,
};
const UNKNOWN_SEVERITY_COLOUR = 0x808080;

/** The colour of a severity as 0xRRGGBB; unknown words are grey. */
export function severityColour(severity: string): number {
  const key = severity.toLowerCase();
  // Own keys only: a severity of `constructor` is an unknown word, not Object's.
  return Object.hasOwn(SEVERITY_COLOURS, key)
    ? (SEVERITY_COLOURS[key] ?? UNKNOWN_SEVERITY_COLOUR)
    : UNKNOWN_SEVERITY_COLOUR;
}

// --- Microsoft Teams ---------------------------------------------------------------------------------

export interface TeamsMessageCard {
  '@type': 'MessageCard';
  '@context': 'https://schema.org/extensions';
  /** Steadfast's words only, like the title. */
  summary: string;
  themeColor: string;
  /** Steadfast's words only: whether Teams formats a card's title is not documented the same everywhere. */
  title: string;
  text: string;
  /** Markdown, with every text from alerts escaped for it (teamsMarkdown). */
  sections: {
    markdown: true;
    activityTitle: string;
    text: string;
    facts: { name: string; value: string }[];
  }[];
  potentialAction: {
    '@type': 'OpenUri';
    name: string;
    targets: { os: 'default'; uri: string }[];
  }[];
}

/**
 * A Microsoft Teams incoming-webhook MessageCard: title, text, facts and a button to the incident.
 * Connector cards read Markdown and some HTML in their text fields, so alert text goes only into the
 * section, escaped for both; the title and the summary (what notifications show) are Steadfast's own.
 */
export function teamsPayload(notice: Notice): TeamsMessageCard {
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: `Steadfast: escalation level ${notice.level}, nobody has decided yet`,
    themeColor: severityColour(notice.severity).toString(16).padStart(6, '0').toUpperCase(),
    title: `Steadfast: escalation level ${notice.level}`,
    text: 'Nobody has decided on this incident yet.',
    sections: [
      {
        markdown: true,
        activityTitle: clipEscaped(teamsMarkdown(notice.title), 400),
        text: clipEscaped(teamsMarkdown(notice.recommendation), 2000),
        facts: noticeFacts(notice).map((f) => ({
          name: f.name,
          value: clipEscaped(teamsMarkdown(f.value), 400),
        })),
      },
    ],
    potentialAction: [
      { '@type': 'OpenUri', name: 'Open incident', targets: [{ os: 'default', uri: notice.url }] },
    ],
  };
}

/**
 * Teams Workflows webhooks (the successor of Office 365 connectors) take an Adaptive Card in a message
 * envelope. TextBlocks and fact values read a little Markdown (no HTML), so text from alerts is escaped
 * for it: an alert must not be able to add a link or formatting to the card.
 */
export interface TeamsAdaptiveMessage {
  type: 'message';
  attachments: {
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: {
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
      type: 'AdaptiveCard';
      version: '1.4';
      body: (
        | {
            type: 'TextBlock';
            text: string;
            wrap: true;
            weight?: 'Bolder';
            size?: 'Medium';
            color?: 'Attention';
          }
        | { type: 'FactSet'; facts: { title: string; value: string }[] }
      )[];
      actions: { type: 'Action.OpenUrl'; title: string; url: string }[];
    };
  }[];
}

export function teamsAdaptivePayload(notice: Notice): TeamsAdaptiveMessage {
  const critical = notice.severity.toLowerCase() === 'critical';
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: clipEscaped(`Escalation level ${notice.level}: ${teamsMarkdown(notice.title)}`, 400),
              wrap: true,
              weight: 'Bolder',
              size: 'Medium',
              ...(critical ? { color: 'Attention' as const } : {}),
            },
            { type: 'TextBlock', text: 'Nobody has decided on this incident yet.', wrap: true },
            {
              type: 'FactSet',
              facts: noticeFacts(notice).map((f) => ({
                title: f.name,
                value: clipEscaped(teamsMarkdown(f.value), 400),
              })),
            },
            { type: 'TextBlock', text: clipEscaped(teamsMarkdown(notice.recommendation), 2000), wrap: true },
          ],
          actions: [{ type: 'Action.OpenUrl', title: 'Open incident', url: notice.url }],
        },
      },
    ],
  };
}

// --- Discord --------------------------------------------------------------------------------------------

export interface DiscordPayload {
  content: string;
  embeds: {
    title: string;
    description: string;
    url: string;
    color: number;
    fields: { name: string; value: string; inline: boolean }[];
  }[];
  /** No @everyone, @here, user or role pings, whatever the text holds. */
  allowed_mentions: { parse: never[] };
}

/**
 * A Discord webhook message: a one-line `content` and one embed with the facts, coloured by severity.
 * Alert text is escaped for Discord's Markdown and mentions (discordMarkdown) in every field.
 */
export function discordPayload(notice: Notice): DiscordPayload {
  return {
    content: clipEscaped(
      `Incident ${discordMarkdown(notice.incidentId)} escalated to level ${notice.level}: nobody has decided yet.`,
      2000,
    ),
    embeds: [
      {
        title: clipEscaped(discordMarkdown(notice.title), 256),
        description: clipEscaped(discordMarkdown(notice.recommendation), 4096),
        url: notice.url,
        color: severityColour(notice.severity),
        fields: noticeFacts(notice).map((f) => ({
          name: f.name,
          value: clipEscaped(discordMarkdown(f.value), 1024),
          inline: true,
        })),
      },
    ],
    allowed_mentions: { parse: [] },
  };
}

// --- Slack ------------------------------------------------------------------------------------------------

/**
 * How every message built here is posted: no link or media unfurled, no names or links parsed from the
 * text (SLACK_LITERAL), whether by the bot or to an incoming webhook.
 */
export const SLACK_POST_FLAGS = { unfurl_links: false, unfurl_media: false, ...SLACK_LITERAL } as const;

/** The arguments of Slack's `chat.postMessage`. */
export type SlackMessage = {
  channel: string;
  /** The notification and fallback text. */
  text: string;
  blocks: KnownBlock[];
} & typeof SLACK_POST_FLAGS;

/**
 * `chat.postMessage` arguments: a header, the facts, the recommendation and a button to the incident.
 * With `usergroup` (an ID such as S0123ABCD, checked when the runbook is read) the message mentions
 * that group: the only mention in it, written by Steadfast.
 */
export function slackMessage(notice: Notice, channel: string, usergroup?: string): SlackMessage {
  const mention = usergroup ? `<!subteam^${usergroup}> ` : '';
  const facts = noticeFacts(notice).map((f) =>
    slackVerbatim(clipEscaped(`*${f.name}*\n${slackMrkdwn(f.value)}`, 2000)),
  );
  return {
    channel,
    text: clipEscaped(`${mention}${slackMrkdwn(headline(notice))}`, 3000),
    blocks: [
      {
        type: 'header',
        text: {
          type: 'plain_text',
          text: clip(slackPlain(`Escalation level ${notice.level}: ${notice.title}`), 150),
        },
      },
      ...(usergroup
        ? [
            {
              type: 'section' as const,
              text: slackVerbatim(`${mention}nobody has decided on this incident yet.`),
            },
          ]
        : []),
      { type: 'section', fields: facts },
      { type: 'section', text: slackVerbatim(clipEscaped(slackMrkdwn(notice.recommendation), 3000)) },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Open incident' },
            url: notice.url,
            action_id: 'open-incident',
          },
        ],
      },
    ],
    ...SLACK_POST_FLAGS,
  };
}

// --- e-mail --------------------------------------------------------------------------------------------------

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

/** An e-mail: a one-line subject, a plain-text body and the same as simple HTML. */
export function emailMessage(notice: Notice): EmailMessage {
  // Header injection: a subject is one line, whatever the alert's title holds.
  const subject = clip(emailHeader(`[Steadfast] ${headline(notice)}`), 250);
  const facts = noticeFacts(notice);
  const text = [
    `Incident ${emailText(notice.incidentId)} escalated to level ${notice.level}: nobody has decided yet.`,
    '',
    emailText(notice.title),
    '',
    ...facts.map((f) => `${f.name}: ${emailText(f.value)}`),
    '',
    `Recommendation: ${emailText(notice.recommendation)}`,
    '',
    `Open the incident: ${notice.url}`,
    '',
  ].join('\n');
  const rows = facts
    .map((f) => `<tr><th align="left">${htmlText(f.name)}</th><td>${htmlText(f.value)}</td></tr>`)
    .join('');
  const html =
    `<p>Incident ${htmlText(notice.incidentId)} escalated to level ${notice.level}: nobody has decided yet.</p>` +
    `<h2>${htmlText(notice.title)}</h2>` +
    `<table>${rows}</table>` +
    `<p><strong>Recommendation:</strong> ${htmlText(notice.recommendation)}</p>` +
    `<p><a href="${htmlText(notice.url)}">Open the incident</a></p>`;
  return { subject, text, html };
}
