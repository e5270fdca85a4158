import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createNotifyActivities,
  NOTIFICATION_NOT_CONFIGURED,
  type EscalationNotice,
} from '../../src/activities/notify.js';
import type { EscalationTarget } from '../../src/domain/incident.js';
import { createLogger } from '../../src/lib/logger.js';
import { postJson } from '../../src/notify/http.js';
import type { NotifyChannels } from '../../src/notify/settings.js';
import { startSmtpStandIn } from '../support/smtp.js';

// --- an HTTP server that records every request: webhooks, Teams, Discord and the Slack Web API ------------

interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Answer = { status: number; body?: unknown } | 'hang';

class HttpRecorder {
  readonly requests: Recorded[] = [];
  /** Answers by path; everything else gets 204. */
  readonly answers = new Map<string, Answer>();
  private readonly server: Server;
  private readonly hanging = new Set<() => void>();

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.requests.push({
          method: req.method ?? '',
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const answer = this.answers.get(path) ?? { status: 204 };
        if (answer === 'hang') {
          this.hanging.add(() => res.destroy());
          return;
        }
        if (answer.body === undefined) {
          res.writeHead(answer.status).end();
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
  }

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const end of this.hanging) end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.requests.length = 0;
    this.answers.clear();
  }

  json(path: string): unknown {
    const request = this.requests.find((r) => r.path === path);
    if (!request)
      throw new Error(`no request to ${path}; got ${this.requests.map((r) => r.path).join(', ')}`);
    return JSON.parse(request.body);
  }
}

// --- a real SMTP server --------------------------------------------------------------------------------

/** The message as a reader sees it: headers unfolded, quoted-printable soft breaks and escapes decoded. */
function readable(raw: string): string {
  return raw
    .replace(/\r\n(?=[ \t])/g, '')
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

// --- the activity ---------------------------------------------------------------------------------------------

const http = new HttpRecorder();
let base = '';

beforeAll(async () => {
  base = await http.start();
});
afterAll(async () => {
  await http.stop();
});
afterEach(() => {
  http.reset();
});

function notice(targets: EscalationTarget[]): EscalationNotice {
  return {
    incidentId: 'inc-7',
    level: 1,
    targets,
    title: 'API down',
    service: 'api',
    severity: 'critical',
    recommendation: 'Restart api-1.',
  };
}

function activities(channels?: NotifyChannels) {
  return createNotifyActivities({
    logger: createLogger('silent'),
    incidentUrl: (id) => `https://steadfast.example/incidents/${id}`,
    ...(channels ? { channels } : {}),
  });
}

function slackChannels(): NotifyChannels {
  http.answers.set('/api/chat.postMessage', { status: 200, body: { ok: true, ts: '1.2', channel: 'C1' } });
  return { slack: { token: 'xoxb-test-token', apiUrl: `${base}/api/` } };
}

/** The failure an activity throws, to look at. */
async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected the activity to fail');
}

describe('escalation delivery', () => {
  it('when the level has a generic webhook, then it gets the JSON notice', async () => {
    const result = await activities().notifyEscalation(
      notice([{ type: 'webhook', url: `${base}/hook?key=s3cret` }]),
    );

    expect(result).toEqual({ delivered: [`webhook:${base}`] });
    expect(http.requests).toHaveLength(1);
    expect(http.requests[0]?.method).toBe('POST');
    expect(http.requests[0]?.headers['content-type']).toBe('application/json');
    expect(http.json('/hook?key=s3cret')).toEqual({
      event: 'incident.escalated',
      incidentId: 'inc-7',
      level: 1,
      title: 'API down',
      service: 'api',
      severity: 'critical',
      recommendation: 'Restart api-1.',
      url: 'https://steadfast.example/incidents/inc-7',
    });
  });

  it('when the Teams webhook is a Workflows one, then it gets an Adaptive Card', async () => {
    http.answers.set('/teams-workflow', { status: 202, body: '' });

    const result = await activities().notifyEscalation(
      notice([{ type: 'teams', url: `${base}/teams-workflow`, format: 'adaptive' }]),
    );

    expect(result.delivered).toEqual([`teams:${base}`]);
    expect(http.json('/teams-workflow')).toMatchObject({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: {
            type: 'AdaptiveCard',
            actions: [{ type: 'Action.OpenUrl', url: 'https://steadfast.example/incidents/inc-7' }],
          },
        },
      ],
    });
  });

  it('when the level has a Teams webhook, then it gets a MessageCard', async () => {
    http.answers.set('/teams', { status: 200, body: 1 });

    const result = await activities().notifyEscalation(notice([{ type: 'teams', url: `${base}/teams` }]));

    expect(result.delivered).toEqual([`teams:${base}`]);
    expect(http.json('/teams')).toMatchObject({
      '@type': 'MessageCard',
      title: 'Steadfast: escalation level 1',
      summary: 'Steadfast: escalation level 1, nobody has decided yet',
      themeColor: 'D7000C',
      sections: [{ facts: expect.arrayContaining([{ name: 'Service', value: 'api' }]) as unknown }],
      potentialAction: [
        {
          '@type': 'OpenUri',
          targets: [{ os: 'default', uri: 'https://steadfast.example/incidents/inc-7' }],
        },
      ],
    });
  });

  it('when the level has a Discord webhook, then it gets content and an embed', async () => {
    const result = await activities().notifyEscalation(notice([{ type: 'discord', url: `${base}/discord` }]));

    expect(result.delivered).toEqual([`discord:${base}`]);
    expect(http.json('/discord')).toMatchObject({
      content: 'Incident inc-7 escalated to level 1: nobody has decided yet.',
      embeds: [{ title: 'API down', url: 'https://steadfast.example/incidents/inc-7', color: 0xd7000c }],
      allowed_mentions: { parse: [] },
    });
  });

  it('when the level has a Slack channel, then chat.postMessage is called with the bot token and blocks', async () => {
    const result = await activities(slackChannels()).notifyEscalation(
      notice([{ type: 'slack', channel: 'C0123ABCD' }]),
    );

    expect(result.delivered).toEqual(['slack:C0123ABCD']);
    expect(http.requests).toHaveLength(1);
    const request = http.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/api/chat.postMessage');
    expect(request?.headers.authorization).toBe('Bearer xoxb-test-token');
    const form = new URLSearchParams(request?.body);
    expect(form.get('channel')).toBe('C0123ABCD');
    expect(form.get('text')).toBe('Escalation level 1: API down (api, critical)');
    const blocks = JSON.parse(form.get('blocks') ?? '[]') as { type: string }[];
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions']);
    expect(blocks[3]).toMatchObject({
      elements: [{ type: 'button', url: 'https://steadfast.example/incidents/inc-7' }],
    });
  });

  it('when the level has a Slack user group, then the message mentions the group', async () => {
    const result = await activities(slackChannels()).notifyEscalation(
      notice([{ type: 'slack-usergroup', channel: '#oncall', usergroup: 'S0123ABCD' }]),
    );

    expect(result.delivered).toEqual(['slack:#oncall@S0123ABCD']);
    const form = new URLSearchParams(http.requests[0]?.body);
    expect(form.get('channel')).toBe('#oncall');
    expect(form.get('text')).toMatch(/^<!subteam\^S0123ABCD> Escalation level 1/);
    expect(form.get('blocks')).toContain('<!subteam^S0123ABCD> nobody has decided');
  });

  it('when Slack answers ok: false, then the attempt fails so Temporal retries it', async () => {
    http.answers.set('/api/chat.postMessage', {
      status: 200,
      body: { ok: false, error: 'channel_not_found' },
    });

    const err = await failureOf(
      activities({ slack: { token: 'xoxb-t', apiUrl: `${base}/api/` } }).notifyEscalation(
        notice([{ type: 'slack', channel: 'C0123ABCD' }]),
      ),
    );

    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err.message).toContain('slack:C0123ABCD: Slack chat.postMessage to C0123ABCD failed');
    expect(err.message).toContain('channel_not_found');
  });

  it('when the level has an e-mail target, then a real SMTP server receives the message', async () => {
    const smtp = await startSmtpStandIn();
    try {
      const result = await activities({
        smtp: {
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
          from: 'Steadfast <steadfast@example.com>',
        },
      }).notifyEscalation(notice([{ type: 'email', to: ['oncall@example.com', 'lead@example.com'] }]));

      expect(result.delivered).toEqual(['email:oncall@example.com,lead@example.com']);
      expect(smtp.mails).toHaveLength(1);
      const mail = smtp.mails[0];
      expect(mail?.from).toBe('steadfast@example.com');
      expect(mail?.to).toEqual(['oncall@example.com', 'lead@example.com']);
      const message = readable(mail?.raw ?? '');
      expect(message).toContain('Subject: [Steadfast] Escalation level 1: API down (api, critical)');
      expect(message).toContain('From: Steadfast <steadfast@example.com>');
      expect(message).toContain('To: oncall@example.com, lead@example.com');
      expect(message).toContain('Incident inc-7 escalated to level 1: nobody has decided yet.');
      expect(message).toContain('Recommendation: Restart api-1.');
      expect(message).toContain('Open the incident: https://steadfast.example/incidents/inc-7');
      expect(message).toContain('Content-Type: text/html');
      expect(message).toContain('<h2>API down</h2>');
    } finally {
      await smtp.stop();
    }
  });

  it('when the SMTP server wants a login, then the configured user and password are used', async () => {
    const smtp = await startSmtpStandIn({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'bot' && auth.password === 'pw') callback(null, { user: auth.username });
        else callback(new Error('bad credentials'));
      },
    });
    try {
      const smtpSettings = {
        host: '127.0.0.1',
        port: smtp.port,
        secure: false,
        user: 'bot',
        from: 'a@example.com',
      };

      await activities({ smtp: { ...smtpSettings, password: 'pw' } }).notifyEscalation(
        notice([{ type: 'email', to: ['oncall@example.com'] }]),
      );
      const err = await failureOf(
        activities({ smtp: { ...smtpSettings, password: 'wrong' } }).notifyEscalation(
          notice([{ type: 'email', to: ['oncall@example.com'] }]),
        ),
      );

      expect(smtp.mails.map((m) => m.user)).toEqual(['bot']);
      expect(err.message).toContain(`SMTP 127.0.0.1:${smtp.port} did not take the e-mail`);
    } finally {
      await smtp.stop();
    }
  });

  it('when the level has a log target, then the escalation is logged with the incident URL', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const notify = createNotifyActivities({
      logger: pino({ level: 'warn' }, sink),
      incidentUrl: (id) => `https://steadfast.example/incidents/${id}`,
    });

    const result = await notify.notifyEscalation(notice([{ type: 'log' }]));

    expect(result.delivered).toEqual(['log']);
    const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(entry).toMatchObject({
      event: 'incident.escalated',
      incidentId: 'inc-7',
      level: 1,
      url: 'https://steadfast.example/incidents/inc-7',
      msg: 'incident inc-7 escalated to level 1',
    });
  });

  it('when a webhook answers 500, then the other targets are still told and the attempt fails', async () => {
    http.answers.set('/broken', { status: 500, body: { error: 'boom' } });

    const err = await failureOf(
      activities().notifyEscalation(
        notice([
          { type: 'webhook', url: `${base}/broken` },
          { type: 'discord', url: `${base}/discord` },
        ]),
      ),
    );

    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err.message).toBe(
      `escalation level 1 of inc-7: webhook:${base}: escalation webhook ${base} answered HTTP 500: {"error":"boom"} ` +
        `(delivered: discord:${base})`,
    );
    expect(http.requests.map((r) => r.path).sort()).toEqual(['/broken', '/discord']);
  });

  it('when a target is not configured, then the others are delivered and it fails as NotificationNotConfigured', async () => {
    const err = await failureOf(
      activities(slackChannels()).notifyEscalation(
        notice([
          { type: 'email', to: ['oncall@example.com'] },
          { type: 'webhook', url: `${base}/hook` },
          { type: 'slack', channel: 'C0123ABCD' },
        ]),
      ),
    );

    expect(http.requests.map((r) => r.path).sort()).toEqual(['/api/chat.postMessage', '/hook']);
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure.type).toBe(NOTIFICATION_NOT_CONFIGURED);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      'escalation level 1 of inc-7: email:oncall@example.com: e-mail is not configured: set SMTP_HOST and SMTP_FROM ' +
        `(delivered: webhook:${base}, slack:C0123ABCD)`,
    );
    expect(failure.details).toEqual([
      {
        delivered: [`webhook:${base}`, 'slack:C0123ABCD'],
        unconfigured: ['email:oncall@example.com: e-mail is not configured: set SMTP_HOST and SMTP_FROM'],
      },
    ]);
  });

  it('when Slack is not configured, then a Slack target fails naming SLACK_BOT_TOKEN', async () => {
    const err = await failureOf(
      activities().notifyEscalation(notice([{ type: 'slack', channel: '#oncall' }])),
    );

    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(NOTIFICATION_NOT_CONFIGURED);
    expect(err.message).toContain('slack:#oncall: Slack is not configured: set SLACK_BOT_TOKEN');
    expect(http.requests).toEqual([]);
  });

  it('when a retried attempt runs, then the targets the last heartbeat recorded are not told again', async () => {
    const targets: EscalationTarget[] = [
      { type: 'webhook', url: `${base}/first` },
      { type: 'webhook', url: `${base}/second` },
    ];
    const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { delivered: [0] } });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));

    const notify = activities();
    const result: { delivered: string[] } = await env.run(() => notify.notifyEscalation(notice(targets)));

    expect(http.requests.map((r) => r.path)).toEqual(['/second']);
    expect(result.delivered).toEqual([`webhook:${base}`, `webhook:${base}`]);
    expect(heartbeats).toEqual([{ delivered: [0, 1] }]);
  });

  it('when a webhook answers an error with an endless body, then the attempt fails at once, quoting 200 characters of it', async () => {
    const endless = createServer((_req, res) => {
      res.writeHead(500);
      const more = (): void => {
        while (res.write('x'.repeat(64 * 1024))) {
          // fill the socket's buffer, then wait for it to drain
        }
      };
      res.on('drain', more);
      more();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(endless.address() as AddressInfo).port}`;
    try {
      const failure = await postJson(`${url}/hook`, {}, 'escalation webhook', fetch, 5000).catch(
        (err: unknown) => err as Error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toBe(
        `escalation webhook ${url} answered HTTP 500: ${'x'.repeat(200)}`,
      );
    } finally {
      endless.closeAllConnections();
      endless.close();
    }
  });

  it('when a webhook does not answer in time, then the attempt fails with a timeout', async () => {
    http.answers.set('/slow', 'hang');

    await expect(postJson(`${base}/slow`, {}, 'escalation webhook', fetch, 200)).rejects.toThrow(
      `escalation webhook ${base} could not be reached: no answer within 200 ms`,
    );
  });
});
