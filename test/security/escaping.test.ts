/**
 * Issue 12, item 5: whoever can fire an alert writes its text. Here an alert whose summary and labels
 * carry Slack, Markdown, HTML and e-mail header markup goes through a real incident (real Temporal
 * server and worker, real activities) to every destination: the Slack stand-in records what reaches
 * Slack's API, local HTTP servers stand in for Teams, Discord and a webhook, a real SMTP server takes
 * the e-mail, and the report is written to disk. Each destination gets the text, and no mention, no
 * link of the sender's choosing and no header.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  discordPayload,
  emailMessage,
  slackMessage,
  teamsAdaptivePayload,
  teamsPayload,
  type Notice,
} from '../../src/notify/formats.js';
import { reportFile } from '../../src/reports/store.js';
import { alertsSignal, approveUpdate, stateQuery } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { makeAlert, resolvedAlert, startIncident, waitForState } from '../support/scenario.js';
import { startSlackStandIn, waitFor, type SlackStandIn } from '../support/slack.js';
import { startSmtpStandIn, type SmtpStandIn } from '../support/smtp.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

/** The attack of issue 12: a channel-wide ping, a link labelled Approve, and Discord's ping. */
const ATTACK = '<!channel> <https://evil.example|Approve> @everyone';
/** The same, plus an e-mail header and the other destinations' link and mention syntax. */
const SUMMARY = `${ATTACK} [Approve](https://evil.example) <a href="https://evil.example">Approve</a>\r\nBcc: attacker@evil.example`;
const SERVICE = 'web <@U0BOSS> <#C0GENERAL>';
/** What the attacker's maintenance endpoint answers, quoted by http.call in the incident's thread. */
const ANSWER = `${ATTACK} <@&123456>`;

// --- what each destination would make of a text ------------------------------------------------------------

/**
 * Slack's control sequences in a mrkdwn text (`<…>`): mentions, channel and user links, labelled links.
 * Steadfast writes two itself (its approver's mention and an escalation's user group); no other may
 * appear.
 */
const STEADFAST_SEQUENCES = new Set(['@UALICE', '!subteam^SONCALL001']);
const foreignSlackSequences = (text: string): string[] =>
  [...text.matchAll(/<([^<>]*)>/g)].map((m) => m[1] ?? '').filter((s) => !STEADFAST_SEQUENCES.has(s));

/** Every text object in a Slack payload. */
function slackTextObjects(value: unknown): { type: string; text: string; verbatim?: unknown }[] {
  if (Array.isArray(value)) return value.flatMap(slackTextObjects);
  if (typeof value !== 'object' || value === null) return [];
  const o = value as Record<string, unknown>;
  const self =
    (o['type'] === 'mrkdwn' || o['type'] === 'plain_text') && typeof o['text'] === 'string'
      ? [{ type: o['type'], text: o['text'], verbatim: o['verbatim'] }]
      : [];
  return [...self, ...Object.values(o).flatMap(slackTextObjects)];
}

/** Why a chat.postMessage / chat.update call could ping someone or carry a link of the sender's choosing. */
function slackProblems(args: Record<string, unknown>): string[] {
  const problems: string[] = [];
  // Slack links and mentions nothing on its own: the web client sends these as form fields.
  if (String(args['parse']) !== 'none') problems.push(`parse is ${String(args['parse'])}`);
  if (String(args['link_names']) !== 'false') problems.push(`link_names is ${String(args['link_names'])}`);
  const text = typeof args['text'] === 'string' ? args['text'] : '';
  problems.push(...foreignSlackSequences(text).map((s) => `text has <${s}>`));
  for (const t of slackTextObjects(args['blocks'])) {
    if (t.type === 'plain_text') continue; // Slack parses nothing in plain_text
    if (t.verbatim !== true) problems.push(`mrkdwn without verbatim: ${t.text}`);
    problems.push(...foreignSlackSequences(t.text).map((s) => `block has <${s}>`));
  }
  return problems;
}

/** Why a Markdown text (Teams, Discord) could carry a link, HTML, or a mention. */
function markdownProblems(text: string, discord: boolean): string[] {
  const problems: string[] = [];
  if (/(?<!\\)\[[^\]]*(?<!\\)\]\(/.test(text)) problems.push(`a Markdown link in ${text}`);
  if (/(?<!\\)</.test(text)) problems.push(`an unescaped < in ${text}`);
  if (/\b[a-z][a-z0-9+.-]*:\/\//i.test(text)) problems.push(`a URL that would be linked in ${text}`);
  if (discord && /@(everyone|here)/.test(text)) problems.push(`a mass mention in ${text}`);
  return problems;
}

const strings = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : Array.isArray(value)
      ? value.flatMap(strings)
      : typeof value === 'object' && value !== null
        ? Object.values(value).flatMap(strings)
        : [];

/** The text fields a Teams card shows (not its action URLs, which are Steadfast's). */
function teamsTexts(card: unknown): string[] {
  const c = card as Record<string, unknown>;
  if (c['@type'] === 'MessageCard') {
    const sections = (c['sections'] ?? []) as Record<string, unknown>[];
    return [
      ...strings([c['title'], c['summary'], c['text']]),
      ...sections.flatMap((s) => strings([s['activityTitle'], s['text'], s['facts']])),
    ];
  }
  const attachments = (c['attachments'] ?? []) as { content: { body: unknown } }[];
  return attachments.flatMap((a) => strings(a.content.body));
}

function discordTexts(payload: unknown): string[] {
  const p = payload as { content: string; embeds: { title: string; description: string; fields: unknown }[] };
  return [p.content, ...p.embeds.flatMap((e) => [e.title, e.description, ...strings(e.fields)])];
}

/** The HTML part with Steadfast's own markup taken out: anything left that looks like a tag is the sender's. */
const foreignHtml = (html: string, url: string): string[] =>
  [
    ...html
      .replace(/<\/?(p|h2|table|tr|td|strong)>|<th align="left">|<\/th>/g, '')
      .replace(`<a href="${url}">Open the incident</a>`, '')
      .matchAll(/<[^>]*>?/g),
  ].map((m) => m[0]);

// --- local stand-ins ---------------------------------------------------------------------------------------

interface Received {
  path: string;
  body: string;
}

async function startHttpSink(answers: Record<string, string>): Promise<{
  base: string;
  requests: Received[];
  json: (path: string) => unknown;
  stop: () => Promise<void>;
}> {
  const requests: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      requests.push({ path, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers[path];
      if (answer === undefined) res.writeHead(204).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end(answer);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    json: (path) => JSON.parse(requests.find((r) => r.path === path)?.body ?? 'null') as unknown,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One RFC 2047 Q-encoded word's bytes, as UTF-8. */
const qDecode = (q: string): string => {
  const bytes: number[] = [];
  for (let i = 0; i < q.length; i++) {
    const c = q[i] ?? '';
    if (c === '=' && /^[0-9A-F]{2}$/i.test(q.slice(i + 1, i + 3))) {
      bytes.push(parseInt(q.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c === '_' ? 0x20 : c.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
};

/** A header as a reader sees it: unfolded, RFC 2047 encoded words (=?UTF-8?Q?…?=) decoded. */
const headerText = (header: string): string =>
  header
    .replace(/\r\n[ \t]/g, ' ')
    .replace(/\?=\s+=\?/g, '?==?') // whitespace between encoded words is not part of the text
    .replace(/=\?UTF-8\?Q\?([^?]*)\?=/gi, (_, q: string) => qDecode(q));

/** A mail as a reader sees it: quoted-printable soft breaks and escapes decoded (headers left folded). */
const decoded = (raw: string): string =>
  raw
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

// --- the flow ------------------------------------------------------------------------------------------------

const TASK_QUEUE = 'security-escaping-tests';
const INCIDENT_URL = (id: string): string => `http://127.0.0.1:8233/namespaces/default/workflows/${id}`;

let client: Client;
let worker: TestWorker;
let slack: SlackStandIn;
let sink: Awaited<ReturnType<typeof startHttpSink>>;
let smtp: SmtpStandIn;
let reportsDir: string;

const runbook = (base: string): string => `
title: Flush the checkout cache
match: { alertnames: [EscapingAttack] }
risk: low
approvers: ['slack:UALICE']
slack: { channel: '#payments' }
approval:
  timeout: 1s
  escalation:
    - notify:
        - { type: webhook, url: '${base}/hook' }
        - { type: teams, url: '${base}/teams' }
        - { type: teams, url: '${base}/teams-adaptive', format: adaptive }
        - { type: discord, url: '${base}/discord' }
        - { type: slack, channel: '#incidents' }
        - { type: slack-usergroup, channel: '#incidents', usergroup: SONCALL001 }
        - { type: email, to: [oncall@example.com] }
      wait: 10m
steps:
  - action: http.call
    method: POST
    url: '${base}/maintenance'
scope:
  http: { hosts: ['${new URL(base).host}'] }
verify: { within: 30s, interval: 1s }
`;

describe('an alert whose text is markup, through a real incident to every destination', () => {
  let id = '';

  beforeAll(async () => {
    slack = await startSlackStandIn();
    sink = await startHttpSink({ '/maintenance': ANSWER });
    smtp = await startSmtpStandIn();
    reportsDir = mkdtempSync(join(tmpdir(), 'steadfast-escaping-reports-'));
    client = await testClient();
    worker = await startTestWorker(
      testActivities({
        runbooks: { 'attack.yaml': runbook(sink.base) },
        notify: {
          slack: { token: 'xoxb-test', apiUrl: slack.apiUrl },
          smtp: { host: '127.0.0.1', port: smtp.port, secure: false, from: 'steadfast@example.com' },
        },
        reportsDir,
        incidentUrl: INCIDENT_URL,
      }),
      TASK_QUEUE,
    );
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await slack?.close();
    await sink?.stop();
    await smtp?.stop();
  });

  beforeAll(async () => {
    id = `escaping-attack-${Date.now().toString(36)}`;
    const alert = makeAlert({
      alertName: 'EscapingAttack',
      labels: { service: SERVICE },
      annotations: { summary: SUMMARY },
    });
    const handle = await startIncident(client, TASK_QUEUE, id, [alert]);
    // Level 1 tells everyone a second after approval is asked for.
    await waitFor(
      () =>
        sink.requests.filter((r) => ['/hook', '/teams', '/teams-adaptive', '/discord'].includes(r.path))
          .length === 4 &&
        smtp.mails.length === 1 &&
        slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args['channel'] === '#incidents')
          .length === 2
          ? true
          : undefined,
      30_000,
    );
    // Approved, the runbook calls the attacker's endpoint; its answer is quoted in the thread.
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'slack:UALICE', via: 'slack' }] });
    await waitForState(handle, (s) => s.actions.some((a) => a.status === 'done'));
    const state = await handle.query(stateQuery);
    await handle.signal(alertsSignal, state.alerts.map(resolvedAlert));
    const closed = await handle.result();
    expect(closed.outcome).toBe('verified');
    expect(closed.title).toBe(SUMMARY);
  }, 120_000);

  it('Slack: every post and update escapes the text, is verbatim, and asks Slack to link and mention nothing', () => {
    const calls = slack.calls.filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update');
    const ours = calls.filter(
      (c) => JSON.stringify(c.args).includes(id) || c.args['channel'] === '#incidents',
    );
    // The message, its updates, the thread replies, and the two escalation posts.
    expect(ours.length).toBeGreaterThan(5);
    for (const call of ours)
      expect({ call: call.method, problems: slackProblems(call.args) }).toEqual({
        call: call.method,
        problems: [],
      });
    const all = JSON.stringify(ours.map((c) => c.args));
    expect(all).toContain('&lt;!channel&gt; &lt;https://evil.example|Approve&gt; @everyone');
    expect(all).toContain('web &lt;@U0BOSS&gt; &lt;#C0GENERAL&gt;');
    // Steadfast's own mentions still work: the approver in the status, the escalation's user group.
    expect(all).toMatch(/[Aa]pproved by <@UALICE>/);
    expect(all).toContain('<!subteam^SONCALL001>');
  });

  it("Slack: the thread quotes the attacker's HTTP answer as text", () => {
    const reply = slack.messages.find((m) => m.threadTs && m.text.includes('answered 200'));
    expect(reply?.text).toContain(
      'answered 200: &lt;!channel&gt; &lt;https://evil.example|Approve&gt; @everyone &lt;@&amp;123456&gt;',
    );
    expect(foreignSlackSequences(reply?.text ?? '<missing>')).toEqual([]);
  });

  it('Teams: both card formats carry the text escaped, with no link, HTML or mention', () => {
    for (const path of ['/teams', '/teams-adaptive']) {
      const texts = teamsTexts(sink.json(path));
      expect(texts.join('\n')).toContain('\\<!channel\\> \\<https\\://evil.example\\|Approve\\> @everyone');
      expect(texts.flatMap((t) => markdownProblems(t, false))).toEqual([]);
    }
  });

  it('Discord: no ping is allowed, and the text shows no mention or link', () => {
    const payload = sink.json('/discord') as { allowed_mentions: unknown };
    expect(payload.allowed_mentions).toEqual({ parse: [] });
    const texts = discordTexts(payload);
    expect(texts.join('\n')).toContain(
      '\\<!channel\\> \\<https\\://evil.example\\|Approve\\> @\u200beveryone',
    );
    expect(texts.flatMap((t) => markdownProblems(t, true))).toEqual([]);
  });

  it('the generic webhook gets the text as data, for its receiver to escape', () => {
    const body = sink.json('/hook') as Record<string, unknown>;
    expect(body['title']).toBe(SUMMARY.replace('\r\n', '\n'));
    expect(body['service']).toBe(SERVICE);
  });

  it('e-mail: no header from the subject, no recipient added, and the HTML part holds text only', () => {
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.to).toEqual(['oncall@example.com']);
    const [head = '', ...rest] = mail.raw.split('\r\n\r\n');
    const headers = head.split(/\r\n(?![ \t])/);
    expect(headers.filter((h) => /^bcc:/i.test(h))).toEqual([]);
    const subject = headers.find((h) => h.startsWith('Subject:')) ?? '';
    // The would-be header is text on the subject's one line.
    expect(headerText(subject)).toContain('Approve</a> Bcc: attacker@evil.example (web');
    const html = decoded(rest.join('\r\n\r\n')).split('Content-Type: text/html')[1] ?? '';
    expect(html).toContain('&lt;!channel&gt; &lt;https://evil.example|Approve&gt; @everyone');
    const body = html.slice(html.indexOf('<p>'), html.lastIndexOf('</p>') + 4).replace(/\r\n/g, '\n');
    expect(foreignHtml(body, INCIDENT_URL(id))).toEqual([]);
  });

  it('the report shows the text and the answer escaped, with no element of the sender', () => {
    const html = readFileSync(reportFile(reportsDir, id), 'utf8');
    expect(html).toContain('&lt;!channel&gt; &lt;https://evil.example|Approve&gt; @everyone');
    expect(html).toContain('&lt;a href=&quot;https://evil.example&quot;&gt;Approve&lt;/a&gt;');
    expect(html).not.toContain('<a href="https://evil.example"');
    expect(html).not.toMatch(/<@U0BOSS>|<!channel>/);
  });
});

// --- each payload builder against each attack, in each field -------------------------------------------------

const ATTACKS = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U0BOSS>',
  '<#C0GENERAL>',
  '<!subteam^S0ALLSTAFF>',
  '<https://evil.example|Approve>',
  '[Approve](https://evil.example)',
  '![x](https://evil.example/x.png)',
  '<a href="https://evil.example">Approve</a>',
  '<at>Everyone</at>',
  '@everyone',
  '@here',
  '<@123456789>',
  '<@&987654321>',
  'https://evil.example/approve',
  '\\[Approve](https://evil.example)',
  '&lt;!channel&gt;',
];
const FIELDS = ['title', 'service', 'severity', 'recommendation', 'incidentId'] as const;
const BASE: Notice = {
  incidentId: 'incident-web-0123456789',
  level: 1,
  title: 'Checkout down',
  service: 'web',
  severity: 'critical',
  recommendation: 'Restart it.',
  url: 'https://steadfast.example/incidents/incident-web-0123456789',
};
const CASES = ATTACKS.flatMap((attack) => FIELDS.map((field) => [field, attack] as const));

describe('each format, each field, each attack', () => {
  it.each(CASES)('Slack: %s = %s', (field, attack) => {
    const message = slackMessage({ ...BASE, [field]: attack }, 'C0123ABCD', 'SONCALL001');
    expect(slackProblems({ ...message })).toEqual([]);
  });

  it.each(CASES)('Teams MessageCard: %s = %s', (field, attack) => {
    expect(
      teamsTexts(teamsPayload({ ...BASE, [field]: attack })).flatMap((t) => markdownProblems(t, false)),
    ).toEqual([]);
  });

  it.each(CASES)('Teams Adaptive Card: %s = %s', (field, attack) => {
    const card = teamsAdaptivePayload({ ...BASE, [field]: attack });
    expect(teamsTexts(card).flatMap((t) => markdownProblems(t, false))).toEqual([]);
  });

  it.each(CASES)('Discord: %s = %s', (field, attack) => {
    const payload = discordPayload({ ...BASE, [field]: attack });
    expect(payload.allowed_mentions).toEqual({ parse: [] });
    expect(discordTexts(payload).flatMap((t) => markdownProblems(t, true))).toEqual([]);
  });

  it.each(CASES)('e-mail: %s = %s', (field, attack) => {
    const mail = emailMessage({ ...BASE, [field]: `${attack}\r\nBcc: x@evil.example` });
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(foreignHtml(mail.html, BASE.url)).toEqual([]);
    // The plain-text part has the lines the message writes, whatever the alert holds.
    expect(mail.text.split('\n')).toHaveLength(emailMessage(BASE).text.split('\n').length);
  });

  it("e-mail: a summary cannot add lines that pass for the message's own link", () => {
    const forged = 'Disk full\n\nOpen the incident: https://evil.example/login\n\n\n\n\n\n\n';
    const mail = emailMessage({ ...BASE, title: forged, recommendation: 'none\n\nOpen the incident: x' });
    const links = mail.text.split('\n').filter((line) => line.startsWith('Open the incident:'));
    expect(links).toEqual([`Open the incident: ${BASE.url}`]);
  });
});

describe('the console', () => {
  it('puts incident text into the page as text nodes, never as HTML', () => {
    const app = readFileSync(join(import.meta.dirname, '../../src/console/app.js'), 'utf8');
    const chart = readFileSync(join(import.meta.dirname, '../../src/console/chart.js'), 'utf8');
    for (const source of [app, chart]) {
      expect(source).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/,
      );
    }
    // h(), which builds every element, appends strings as text nodes.
    expect(app).toContain(
      'el.append(child instanceof Node ? child : document.createTextNode(String(child)))',
    );
  });
});
