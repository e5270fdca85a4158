import { describe, expect, it } from 'vitest';
import {
  discordPayload,
  emailMessage,
  headline,
  severityColour,
  slackMessage,
  teamsAdaptivePayload,
  teamsPayload,
  webhookPayload,
  type Notice,
} from '../../src/notify/formats.js';

const NOTICE: Notice = {
  incidentId: 'inc-42',
  level: 2,
  title: 'Checkout latency high',
  service: 'checkout',
  severity: 'critical',
  recommendation: 'Restart checkout-1, then check that p99 latency < 300ms.',
  url: 'https://steadfast.example/incidents/inc-42',
};

describe('escalation formats', () => {
  it('when building the generic webhook body, then it keeps the original fields', () => {
    expect(webhookPayload(NOTICE)).toEqual({
      event: 'incident.escalated',
      incidentId: 'inc-42',
      level: 2,
      title: 'Checkout latency high',
      service: 'checkout',
      severity: 'critical',
      recommendation: 'Restart checkout-1, then check that p99 latency < 300ms.',
      url: 'https://steadfast.example/incidents/inc-42',
    });
  });

  it('when building a Teams card, then it is a MessageCard with title, text, facts and an OpenUri action', () => {
    const card = teamsPayload(NOTICE);

    expect(card['@type']).toBe('MessageCard');
    expect(card['@context']).toBe('https://schema.org/extensions');
    expect(card.title).toBe('Steadfast: escalation level 2');
    expect(card.summary).toBe('Steadfast: escalation level 2, nobody has decided yet');
    expect(card.themeColor).toBe('D7000C');
    expect(card.text).toBe('Nobody has decided on this incident yet.');
    expect(card.sections).toEqual([
      {
        markdown: true,
        activityTitle: 'Checkout latency high',
        text: 'Restart checkout-1, then check that p99 latency \\< 300ms.',
        facts: [
          { name: 'Service', value: 'checkout' },
          { name: 'Severity', value: 'critical' },
          { name: 'Escalation level', value: '2' },
          { name: 'Incident', value: 'inc-42' },
        ],
      },
    ]);
    expect(card.potentialAction).toEqual([
      {
        '@type': 'OpenUri',
        name: 'Open incident',
        targets: [{ os: 'default', uri: 'https://steadfast.example/incidents/inc-42' }],
      },
    ]);
  });

  it('when building a Discord message, then it has content and one embed coloured by severity, without pings', () => {
    const message = discordPayload({ ...NOTICE, severity: 'warning' });

    expect(message.content).toBe('Incident inc-42 escalated to level 2: nobody has decided yet.');
    expect(message.embeds).toHaveLength(1);
    expect(message.embeds[0]).toEqual({
      title: 'Checkout latency high',
      description: 'Restart checkout-1, then check that p99 latency \\< 300ms.',
      url: 'https://steadfast.example/incidents/inc-42',
      color: 0xf2c744,
      fields: [
        { name: 'Service', value: 'checkout', inline: true },
        { name: 'Severity', value: 'warning', inline: true },
        { name: 'Escalation level', value: '2', inline: true },
        { name: 'Incident', value: 'inc-42', inline: true },
      ],
    });
    expect(message.allowed_mentions).toEqual({ parse: [] });
  });

  it('when a text is longer than Discord allows, then it is clipped to the limit', () => {
    const message = discordPayload({ ...NOTICE, title: 'x'.repeat(300), recommendation: 'y'.repeat(5000) });

    expect(message.embeds[0]?.title).toHaveLength(256);
    expect(message.embeds[0]?.title.endsWith('…')).toBe(true);
    expect(message.embeds[0]?.description).toHaveLength(4096);
  });

  it.each([
    ['critical', 0xd7000c],
    ['high', 0xe8590c],
    ['warning', 0xf2c744],
    ['info', 0x2f80ed],
    ['CRITICAL', 0xd7000c],
    ['whatever', 0x808080],
    ['constructor', 0x808080],
    ['__proto__', 0x808080],
  ])('when the severity is %s, then the colour is %i', (severity, colour) => {
    expect(severityColour(severity)).toBe(colour);
  });

  it('when a title ends in an emoji cut by the header limit, then no half of it is left', () => {
    // 'Escalation level 2: ' is 20 units; the emoji's halves sit at 148 and 149, across the cut.
    const title = `${'A'.repeat(128)}😀 more`;
    const header = slackMessage({ ...NOTICE, title }, 'C0123ABCD').blocks?.[0] as {
      text: { text: string };
    };

    expect(header.text.text).toBe(`Escalation level 2: ${'A'.repeat(128)}…`);
    expect(header.text.text).not.toMatch(/[\ud800-\udfff]/);
  });

  it('when building a Slack message, then it has a fallback text, a header, the facts and a link button', () => {
    const message = slackMessage(NOTICE, 'C0123ABCD');

    expect(message.channel).toBe('C0123ABCD');
    expect(message.text).toBe('Escalation level 2: Checkout latency high (checkout, critical)');
    expect(message.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'Escalation level 2: Checkout latency high' } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Service*\ncheckout', verbatim: true },
          { type: 'mrkdwn', text: '*Severity*\ncritical', verbatim: true },
          { type: 'mrkdwn', text: '*Escalation level*\n2', verbatim: true },
          { type: 'mrkdwn', text: '*Incident*\ninc-42', verbatim: true },
        ],
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: 'Restart checkout-1, then check that p99 latency &lt; 300ms.',
          verbatim: true,
        },
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Open incident' },
            url: 'https://steadfast.example/incidents/inc-42',
            action_id: 'open-incident',
          },
        ],
      },
    ]);
    expect(message.unfurl_links).toBe(false);
    // Slack adds no links or mentions of its own to the text.
    expect(message.parse).toBe('none');
    expect(message.link_names).toBe(false);
  });

  it('when building a Slack message for a user group, then the text and a section mention the group', () => {
    const message = slackMessage(NOTICE, '#oncall', 'S0123ABCD');

    expect(message.channel).toBe('#oncall');
    expect(message.text.startsWith('<!subteam^S0123ABCD> ')).toBe(true);
    expect(message.blocks[1]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: '<!subteam^S0123ABCD> nobody has decided on this incident yet.',
        verbatim: true,
      },
    });
    expect(message.blocks).toHaveLength(5);
  });

  it('when alert text holds Slack control sequences, then they are escaped, not mentions', () => {
    const message = slackMessage({ ...NOTICE, title: 'a <!channel> & b' }, 'C0123ABCD');

    expect(message.text).toBe('Escalation level 2: a &lt;!channel&gt; &amp; b (checkout, critical)');
    // The header is plain text, where Slack does not parse mentions.
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Escalation level 2: a <!channel> & b' },
    });
  });

  it('when a title is longer than a Slack header allows, then the header is clipped to 150 characters', () => {
    const message = slackMessage({ ...NOTICE, title: 't'.repeat(400) }, 'C0123ABCD');
    const header = message.blocks[0];

    expect(header?.type === 'header' ? header.text.text.length : 0).toBe(150);
  });

  it('when building an e-mail, then it has a one-line subject, a plain-text body and an escaped HTML body', () => {
    const mail = emailMessage({ ...NOTICE, title: 'Checkout <latency>\r\nBcc: x@example.com' });

    expect(mail.subject).toBe(
      '[Steadfast] Escalation level 2: Checkout <latency> Bcc: x@example.com (checkout, critical)',
    );
    expect(mail.text).toContain('Incident inc-42 escalated to level 2: nobody has decided yet.');
    expect(mail.text).toContain(
      'Service: checkout\nSeverity: critical\nEscalation level: 2\nIncident: inc-42',
    );
    expect(mail.text).toContain('Recommendation: Restart checkout-1, then check that p99 latency < 300ms.');
    expect(mail.text).toContain('Open the incident: https://steadfast.example/incidents/inc-42');
    expect(mail.text).toContain('\nCheckout <latency> Bcc: x@example.com\n');
    expect(mail.html).toContain('<h2>Checkout &lt;latency&gt;\nBcc: x@example.com</h2>');
    expect(mail.html).toContain('<tr><th align="left">Service</th><td>checkout</td></tr>');
    expect(mail.html).toContain('latency &lt; 300ms.');
    expect(mail.html).toContain('<a href="https://steadfast.example/incidents/inc-42">Open the incident</a>');
  });

  it('when building the headline, then it names level, title, service and severity', () => {
    expect(headline(NOTICE)).toBe('Escalation level 2: Checkout latency high (checkout, critical)');
  });
});

describe('the Teams Workflows (Adaptive Card) format', () => {
  it('wraps an Adaptive Card with title, facts, recommendation and a link in a message', () => {
    const message = teamsAdaptivePayload({ ...NOTICE, title: 'Checkout latency high' });
    expect(message.type).toBe('message');
    const [attachment] = message.attachments;
    expect(attachment?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = attachment?.content;
    expect(card?.type).toBe('AdaptiveCard');
    expect(card?.body[0]).toMatchObject({
      type: 'TextBlock',
      text: 'Escalation level 2: Checkout latency high',
      color: 'Attention',
    });
    expect(card?.body).toContainEqual({
      type: 'FactSet',
      facts: [
        { title: 'Service', value: 'checkout' },
        { title: 'Severity', value: 'critical' },
        { title: 'Escalation level', value: '2' },
        { title: 'Incident', value: 'inc-42' },
      ],
    });
    expect(card?.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open incident', url: NOTICE.url }]);
  });

  it('escapes what the card would read as Markdown, so alert text cannot add links or formatting', () => {
    const message = teamsAdaptivePayload({
      ...NOTICE,
      title: 'click [here](https://evil.example) **now**',
      recommendation: '- restart\n1. then _check_',
    });
    const body = message.attachments[0]?.content.body ?? [];
    expect(body[0]).toMatchObject({
      text: 'Escalation level 2: click \\[here\\](https\\://evil.example) \\*\\*now\\*\\*',
    });
    expect(body[3]).toMatchObject({ text: '\\- restart\n1\\. then \\_check\\_' });
  });
});
