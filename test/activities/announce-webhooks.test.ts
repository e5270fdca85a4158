import { describe, expect, it } from 'vitest';
import {
  discordAnnouncement,
  slackAnnouncement,
  teamsAnnouncement,
} from '../../src/activities/announce-webhooks.js';
import type { Notice } from '../../src/notify/formats.js';

const ATTACK = '<!channel> <https://evil.example|Approve> @everyone [x](https://evil.example)';

const notice: Notice = {
  incidentId: 'incident-1',
  level: 0,
  title: `Disk full ${ATTACK}`,
  service: 'billing',
  severity: 'critical',
  recommendation: `No runbook matched: no runbook matches DiskFull ${ATTACK}`,
  url: 'https://temporal.example/wf/incident-1',
};

describe('announcements in the escalation formats, in their own words', () => {
  it('Slack: the header is plain text, the text escaped, and no escalation level among the facts', () => {
    const { text, blocks, ...flags } = slackAnnouncement(notice);
    // As literal as the bot's posts: nothing unfurled, no names or links parsed.
    expect(flags).toEqual({ unfurl_links: false, unfurl_media: false, parse: 'none', link_names: false });
    expect(text).toBe(
      'Steadfast: new incident: Disk full &lt;!channel&gt; &lt;https://evil.example|Approve&gt; @everyone [x](https://evil.example) (billing)',
    );
    expect(blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(JSON.stringify(blocks)).not.toContain('Escalation level');
    // plain_text is not parsed by Slack; every mrkdwn text is escaped.
    expect(JSON.stringify(blocks.slice(1))).not.toMatch(/<!channel>|<https/);
  });

  it("Teams: title and summary are Steadfast's, the facts have no escalation level", () => {
    const card = teamsAnnouncement(notice);
    expect(card).toMatchObject({ title: 'Steadfast: new incident', summary: 'Steadfast: new incident' });
    expect(card.sections[0]?.facts.map((f) => f.name)).toEqual(['Service', 'Severity', 'Incident']);
    expect(card.sections[0]?.text).not.toContain('](https://evil.example)');
  });

  it('Discord: no mention is parsed, no escalation level', () => {
    const payload = discordAnnouncement(notice);
    expect(payload.content).toBe('Steadfast: new incident.');
    expect(payload.allowed_mentions).toEqual({ parse: [] });
    expect(payload.embeds[0]?.fields.map((f) => f.name)).toEqual(['Service', 'Severity', 'Incident']);
  });
});
