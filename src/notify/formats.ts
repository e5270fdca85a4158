import type { KnownBlock, MrkdwnElement } from '@slack/types';
/**
 * The escalation notice in each channel's format. Pure: no I/O, the same notice gives the same payloads.
 * Texts are short and factual; text that came from alerts is escaped for the channel's markup.
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
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

// --- generic webhook -------------------------------------------------------------------------------

export type WebhookPayload = { event: 'incident.escalated' } & Notice;

/** The generic outgoing webhook's JSON body (unchanged fields since the first version). */
export function webhookPayload(notice: Notice): WebhookPayload {
  return { event: 'incident.escalated', ...notice };
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
  return SEVERITY_COLOURS[severity.toLowerCase()] ?? UNKNOWN_SEVERITY_COLOUR;
}

// --- Microsoft Teams ---------------------------------------------------------------------------------

export interface TeamsMessageCard {
  '@type': 'MessageCard';
  '@context': 'https://schema.org/extensions';
  summary: string;
  themeColor: string;
  title: string;
  text: string;
  /** `markdown: false`: text from alerts is shown as it is, never as links or formatting. */
  sections: { markdown: false; text: string; facts: { name: string; value: string }[] }[];
  potentialAction: {
    '@type': 'OpenUri';
    name: string;
    targets: { os: 'default'; uri: string }[];
  }[];
}

/** A Microsoft Teams incoming-webhook MessageCard: title, text, facts and a button to the incident. */
export function teamsPayload(notice: Notice): TeamsMessageCard {
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: clip(headline(notice), 200),
    themeColor: severityColour(notice.severity).toString(16).padStart(6, '0').toUpperCase(),
    title: clip(`Escalation level ${notice.level}: ${notice.title}`, 200),
    text: 'Nobody has decided on this incident yet.',
    sections: [{ markdown: false, text: clip(notice.recommendation, 2000), facts: noticeFacts(notice) }],
    potentialAction: [
      { '@type': 'OpenUri', name: 'Open incident', targets: [{ os: 'default', uri: notice.url }] },
    ],
  };
}

/**
 * Teams Workflows webhooks (the successor of Office 365 connectors) take an Adaptive Card in a message
 * envelope. TextBlocks read a little Markdown, so text from alerts has its Markdown characters escaped:
 * an alert must not be able to add a link or formatting to the card.
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

// Only what the cards' Markdown subset acts on: emphasis, links, and list markers at a line's start.
const escapeCardMarkdown = (text: string): string =>
  text.replace(/[*_[\]]/g, '\\$&').replace(/^(\s*)([-+]|\d+\.)(?=\s)/gm, '$1\\$2');

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
              text: escapeCardMarkdown(clip(`Escalation level ${notice.level}: ${notice.title}`, 200)),
              wrap: true,
              weight: 'Bolder',
              size: 'Medium',
              ...(critical ? { color: 'Attention' as const } : {}),
            },
            { type: 'TextBlock', text: 'Nobody has decided on this incident yet.', wrap: true },
            {
              type: 'FactSet',
              facts: noticeFacts(notice).map((f) => ({ title: f.name, value: escapeCardMarkdown(f.value) })),
            },
            { type: 'TextBlock', text: escapeCardMarkdown(clip(notice.recommendation, 2000)), wrap: true },
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
  /** No @everyone, @here or role pings from alert text. */
  allowed_mentions: { parse: never[] };
}

/** A Discord webhook message: a one-line `content` and one embed with the facts, coloured by severity. */
export function discordPayload(notice: Notice): DiscordPayload {
  return {
    content: clip(
      `Incident ${notice.incidentId} escalated to level ${notice.level}: nobody has decided yet.`,
      2000,
    ),
    embeds: [
      {
        title: clip(notice.title, 256),
        description: clip(notice.recommendation, 4096),
        url: notice.url,
        color: severityColour(notice.severity),
        fields: noticeFacts(notice).map((f) => ({ name: f.name, value: clip(f.value, 1024), inline: true })),
      },
    ],
    allowed_mentions: { parse: [] },
  };
}

// --- Slack ------------------------------------------------------------------------------------------------

/** The arguments of Slack's `chat.postMessage`. */
export interface SlackMessage {
  channel: string;
  /** The notification and fallback text. */
  text: string;
  blocks: KnownBlock[];
  unfurl_links: false;
  unfurl_media: false;
}

/** Slack wants &, < and > escaped in any text it parses; everything else is literal. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * `chat.postMessage` arguments: a header, the facts, the recommendation and a button to the incident.
 * With `usergroup` (an ID such as S0123ABCD) the message mentions that group.
 */
export function slackMessage(notice: Notice, channel: string, usergroup?: string): SlackMessage {
  const mention = usergroup ? `<!subteam^${usergroup}> ` : '';
  const facts = noticeFacts(notice).map((f): MrkdwnElement => ({
    type: 'mrkdwn',
    text: clip(`*${f.name}*\n${slackEscape(f.value)}`, 2000),
  }));
  return {
    channel,
    text: clip(`${mention}${slackEscape(headline(notice))}`, 3000),
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: clip(`Escalation level ${notice.level}: ${notice.title}`, 150) },
      },
      ...(usergroup
        ? [
            {
              type: 'section' as const,
              text: { type: 'mrkdwn' as const, text: `${mention}nobody has decided on this incident yet.` },
            },
          ]
        : []),
      { type: 'section', fields: facts },
      { type: 'section', text: { type: 'mrkdwn', text: clip(slackEscape(notice.recommendation), 3000) } },
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
    unfurl_links: false,
    unfurl_media: false,
  };
}

// --- e-mail --------------------------------------------------------------------------------------------------

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

export function htmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** An e-mail: a one-line subject, a plain-text body and the same as simple HTML. */
export function emailMessage(notice: Notice): EmailMessage {
  // Header injection: a subject is one line, whatever the alert's title holds.
  const subject = clip(`[Steadfast] ${headline(notice)}`.replace(/[\r\n]+/g, ' '), 250);
  const facts = noticeFacts(notice);
  const text = [
    `Incident ${notice.incidentId} escalated to level ${notice.level}: nobody has decided yet.`,
    '',
    notice.title,
    '',
    ...facts.map((f) => `${f.name}: ${f.value}`),
    '',
    `Recommendation: ${notice.recommendation}`,
    '',
    `Open the incident: ${notice.url}`,
    '',
  ].join('\n');
  const rows = facts
    .map((f) => `<tr><th align="left">${htmlEscape(f.name)}</th><td>${htmlEscape(f.value)}</td></tr>`)
    .join('');
  const html =
    `<p>Incident ${htmlEscape(notice.incidentId)} escalated to level ${notice.level}: nobody has decided yet.</p>` +
    `<h2>${htmlEscape(notice.title)}</h2>` +
    `<table>${rows}</table>` +
    `<p><strong>Recommendation:</strong> ${htmlEscape(notice.recommendation)}</p>` +
    `<p><a href="${htmlEscape(notice.url)}">Open the incident</a></p>`;
  return { subject, text, html };
}
