import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Router } from 'express';
import { WebSocket, WebSocketServer } from 'ws';
import { createApp } from '../../src/api/app.js';
import { TokenStore } from '../../src/api/auth.js';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings } from '../../src/config/settings.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics, type Metrics } from '../../src/lib/metrics.js';
import type { SlackApprovalsOptions } from '../../src/slack/approvals.js';
import { testActivities } from './activities.js';
import { makeAlert, startIncident, waitForState } from './scenario.js';
import { startTestWorker, testClient, type TestWorker } from './temporal.js';

/** One call to the Web API, as the stand-in received it. */
export interface WebApiCall {
  method: string;
  token: string;
  args: Record<string, unknown>;
}

/** A message the stand-in holds, as Slack would keep it. */
export interface PostedMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  metadata?: unknown;
}

export interface SlackStandIn {
  /** The stand-in's base URL; the Web API is at `${url}/api/`. */
  url: string;
  apiUrl: string;
  calls: WebApiCall[];
  messages: PostedMessage[];
  /** What was posted to each response_url. */
  responses: { path: string; body: { text?: string; response_type?: string } }[];
  /**
   * The next call that `matches` gets no answer: the connection is dropped. With `acted`, Slack does
   * what was asked first (the answer is lost on its way back); without, the request never arrives.
   */
  dropNext(matches: (call: WebApiCall) => boolean, options: { acted: boolean }): void;
  /** The next call that `matches` is done, and its answer rewritten by `change`: a misbehaving Slack. */
  alterNext(matches: (call: WebApiCall) => boolean, change: (answer: object) => object): void;
  /** Socket Mode: the WebSocket side of Slack. */
  socket: {
    /** The tickets of the connections opened so far (from apps.connections.open's URLs). */
    connections: string[];
    /** How many connections are open now. */
    open: () => number;
    /**
     * Sends an envelope (`interactive` unless `type` says otherwise, e.g. `slash_commands`) on the
     * newest open connection; resolves with its acknowledgement.
     */
    deliver(
      payload: Record<string, unknown>,
      type?: 'interactive' | 'slash_commands',
    ): Promise<{ ack: Record<string, unknown>; ms: number }>;
  };
  close: () => Promise<void>;
}

/** Slack's channels in the stand-in: name → ID. */
const CHANNELS: Record<string, string> = {
  incidents: 'CINCIDENTS',
  payments: 'CPAYMENTS01',
  'payments-oncall': 'CPAYONCALL1',
};

const argsOf = (raw: string, type: string | undefined): Record<string, unknown> => {
  if (type?.includes('json')) return JSON.parse(raw) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    args[k] = ['blocks', 'metadata', 'view'].includes(k) ? (JSON.parse(v) as unknown) : v;
  }
  return args;
};

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** As Slack does, a message to a user ID (U…, W…) goes to the bot's direct message with them (D…). */
const channelIdOf = (channel: string): string | undefined =>
  /^[CGD][A-Z0-9]+$/.test(channel)
    ? channel
    : /^[UW][A-Z0-9]+$/.test(channel)
      ? `D${channel}`
      : CHANNELS[channel.replace(/^#/, '')];

/**
 * Slack's side, played locally: the Web API (auth, user groups, chat, conversations, Socket Mode's
 * apps.connections.open), response_url, and the Socket Mode WebSocket.
 */
export async function startSlackStandIn(): Promise<SlackStandIn> {
  const calls: WebApiCall[] = [];
  const messages: PostedMessage[] = [];
  const responses: SlackStandIn['responses'] = [];
  const drops: { matches: (call: WebApiCall) => boolean; acted: boolean }[] = [];
  const alters: { matches: (call: WebApiCall) => boolean; change: (answer: object) => object }[] = [];
  const connections: string[] = [];
  const open: WebSocket[] = [];
  const acks = new Map<string, (ack: Record<string, unknown>) => void>();
  let seq = 0;

  const history = (args: Record<string, unknown>, inThread: (m: PostedMessage) => boolean): object => {
    const oldest = Number(args['oldest'] ?? 0);
    const limit = Number(args['limit'] ?? 100);
    const from = Number(args['cursor'] ?? 0);
    const all = messages.filter((m) => m.channel === args['channel'] && inThread(m) && Number(m.ts) > oldest);
    const page = all.slice(from, from + limit).map((m) => ({
      type: 'message',
      ts: m.ts,
      text: m.text,
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      // As Slack does: metadata only for those who ask for it.
      ...(m.metadata && String(args['include_all_metadata']) === 'true' ? { metadata: m.metadata } : {}),
    }));
    const more = from + limit < all.length;
    return {
      ok: true,
      messages: page,
      has_more: more,
      response_metadata: { next_cursor: more ? String(from + limit) : '' },
    };
  };

  const answer = (method: string, args: Record<string, unknown>, raw: string): object => {
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', team_id: 'T1', bot_id: 'BBOT' };
      case 'usergroups.users.list':
        return { ok: true, users: raw.includes('SONCALL') ? ['UGROUPIE'] : [] };
      case 'apps.connections.open': {
        const ticket = randomUUID();
        return { ok: true, url: `${wsBase}/link/?ticket=${ticket}&app_id=A1` };
      }
      case 'chat.postMessage': {
        const channel = channelIdOf(text(args['channel']));
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const message: PostedMessage = {
          channel,
          ts: `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`,
          text: text(args['text']),
          ...(args['thread_ts'] ? { threadTs: text(args['thread_ts']) } : {}),
          ...(args['metadata'] ? { metadata: args['metadata'] } : {}),
        };
        messages.push(message);
        return { ok: true, channel, ts: message.ts };
      }
      case 'chat.update':
        return { ok: true, channel: args['channel'], ts: args['ts'] };
      case 'views.open':
        // A trigger lives 3 seconds; `expired` plays one that Slack no longer takes.
        return args['trigger_id'] === 'expired'
          ? { ok: false, error: 'expired_trigger_id' }
          : { ok: true, view: { id: 'V1' } };
      case 'conversations.history':
        return history(args, (m) => m.threadTs === undefined);
      case 'conversations.replies':
        return history(args, (m) => m.ts === args['ts'] || m.threadTs === args['ts']);
      case 'conversations.list':
        return {
          ok: true,
          channels: Object.entries(CHANNELS).map(([name, id]) => ({ id, name })),
          response_metadata: { next_cursor: '' },
        };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '';
      res.setHeader('content-type', 'application/json');
      if (path.startsWith('/api/')) {
        const method = path.slice(5).split('?')[0] ?? '';
        const args = argsOf(raw, req.headers['content-type']);
        const call = { method, token: req.headers.authorization ?? '', args };
        calls.push(call);
        const drop = drops.find((d) => d.matches(call));
        if (drop) {
          drops.splice(drops.indexOf(drop), 1);
          if (drop.acted) answer(method, args, raw);
          req.socket.destroy();
          return;
        }
        const alter = alters.find((a) => a.matches(call));
        if (alter) alters.splice(alters.indexOf(alter), 1);
        const answered = answer(method, args, raw);
        res.end(JSON.stringify(alter ? alter.change(answered) : answered));
      } else if (path.startsWith('/respond/')) {
        responses.push({ path, body: JSON.parse(raw) as SlackStandIn['responses'][number]['body'] });
        res.end('{"ok":true}');
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ ok: false, error: 'not_found' }));
      }
    });
  });

  const sockets = new WebSocketServer({ server, path: '/link/' });
  sockets.on('connection', (socket, request) => {
    connections.push(new URL(request.url ?? '', 'ws://x').searchParams.get('ticket') ?? '');
    open.push(socket);
    socket.on('close', () => open.splice(open.indexOf(socket), 1));
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      const resolve = acks.get(String(message['envelope_id']));
      acks.delete(String(message['envelope_id']));
      resolve?.(message);
    });
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: sockets.clients.size,
        debug_info: { host: 'stand-in', approximate_connection_time: 3600 },
        connection_info: { app_id: 'A1' },
      }),
    );
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const wsBase = `ws://127.0.0.1:${port}`;

  return {
    url,
    apiUrl: `${url}/api/`,
    calls,
    messages,
    responses,
    dropNext: (matches, { acted }) => void drops.push({ matches, acted }),
    alterNext: (matches, change) => void alters.push({ matches, change }),
    socket: {
      connections,
      open: () => open.length,
      deliver: (payload, type = 'interactive') => {
        const newest = open.at(-1);
        if (newest?.readyState !== WebSocket.OPEN) {
          return Promise.reject(new Error('no Socket Mode connection is open'));
        }
        const envelopeId = randomUUID();
        const sent = Date.now();
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ack for envelope ${envelopeId}`)), 10_000);
          acks.set(envelopeId, (ack) => {
            clearTimeout(timer);
            resolve({ ack, ms: Date.now() - sent });
          });
          newest.send(
            JSON.stringify({
              envelope_id: envelopeId,
              type,
              payload,
              // As Slack does: a view submission may be answered in its acknowledgement.
              accepts_response_payload: payload['type'] === 'view_submission',
            }),
          );
        });
      },
    },
    close: async () => {
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A button click as Slack describes it (block_actions), with the response_url to answer at; `team` is the
 * clicker's workspace (the stand-in's bot token is of T1), and in a Slack Connect channel another's.
 */
export function blockActions(
  actionId: string,
  incidentId: string,
  userId: string,
  responseUrl: string,
  team = 'T1',
): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: team },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: '1.2', channel_id: 'C1', is_ephemeral: false },
    trigger_id: '1.2.3',
    team: { id: team, domain: 'example' },
    channel: { id: 'C1', name: 'incidents' },
    response_url: responseUrl,
    actions: [
      {
        action_id: actionId,
        block_id: 'decision',
        value: incidentId,
        type: 'button',
        action_ts: String(Date.now() / 1000),
        text: { type: 'plain_text', text: 'Approve' },
      },
    ],
  };
}

/** A modal's submission as Slack describes it (view_submission): the text typed into each input. */
export function viewSubmission(
  callbackId: string,
  privateMetadata: string,
  userId: string,
  inputs: Record<string, Record<string, string>>,
  team = 'T1',
): Record<string, unknown> {
  const values = Object.fromEntries(
    Object.entries(inputs).map(([block, actions]) => [
      block,
      Object.fromEntries(
        Object.entries(actions).map(([action, value]) => [action, { type: 'plain_text_input', value }]),
      ),
    ]),
  );
  return {
    type: 'view_submission',
    team: { id: team, domain: 'example' },
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: team },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    trigger_id: '4.5.6',
    view: {
      id: 'V1',
      type: 'modal',
      callback_id: callbackId,
      private_metadata: privateMetadata,
      team_id: 'T1',
      app_id: 'A1',
      bot_id: 'BBOT',
      blocks: [],
      state: { values },
      hash: '1.abc',
      root_view_id: 'V1',
      previous_view_id: null,
      clear_on_close: false,
      notify_on_close: false,
      title: { type: 'plain_text', text: 'Approve with override' },
      close: null,
      submit: null,
    },
    response_urls: [],
  };
}

/** The ephemeral answer posted to `respondPath`, once it comes. */
export async function answerTo(slack: SlackStandIn, respondPath: string): Promise<string> {
  const found = await waitFor(() => slack.responses.find((r) => r.path === respondPath));
  if (found.body.response_type !== 'ephemeral') throw new Error(`answer at ${respondPath} is not ephemeral`);
  return found.body.text ?? '';
}

export async function waitFor<T>(find: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Opens an incident for `alertName` and waits until it awaits approval. */
export async function openIncident(
  client: Client,
  taskQueue: string,
  name: string,
  options: { alertName: string; announce?: { channel: string } },
) {
  const id = `${name}-${Date.now().toString(36)}`;
  const handle = await startIncident(
    client,
    taskQueue,
    id,
    [makeAlert({ alertName: options.alertName, labels: { service: 'web' } })],
    { correlationKey: id, ...(options.announce ? { announce: options.announce } : {}) },
  );
  await waitForState(handle, (s) => s.stage === 'approve');
  return { id, handle };
}

/** A slash command as Slack sends it (the fields of its form body), with the response_url to answer at. */
export function slashCommand(
  text: string,
  userId: string,
  responseUrl: string,
  team = 'T1',
): Record<string, string> {
  return {
    token: 'legacy-verification-token',
    team_id: team,
    team_domain: 'example',
    channel_id: 'C1',
    channel_name: 'incidents',
    user_id: userId,
    user_name: userId.toLowerCase(),
    command: '/steadfast',
    text,
    api_app_id: 'A1',
    is_enterprise_install: 'false',
    response_url: responseUrl,
    trigger_id: '1.2.3',
  };
}

/**
 * Posts a form body to a Steadfast API's `/slack/events` exactly as Slack does: signed with the signing
 * secret at `timestamp` (epoch seconds, now unless said). Resolves with the status and how long the API
 * took to answer, which Slack gives three seconds.
 */
export async function postAsSlack(
  apiUrl: string,
  body: string,
  secret: string,
  timestamp = Math.floor(Date.now() / 1000),
): Promise<{ status: number; ms: number }> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  const started = Date.now();
  const response = await fetch(`${apiUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
    },
    body,
  });
  await response.text();
  return { status: response.status, ms: Date.now() - started };
}

/**
 * A real API on loopback serving Slack's HTTP endpoint with `slack` (a Bolt receiver's router) beside
 * the rest, as src/system.ts wires it; `apiToken` is its one token.
 */
export async function startSlackApi(
  client: Client,
  slack: Router | undefined,
  { apiToken, metrics = createMetrics() }: { apiToken: string; metrics?: Metrics },
): Promise<RunningServer> {
  const settings = loadSettings({ STEADFAST_API_TOKEN: apiToken });
  const app = createApp({
    settings,
    client,
    tokens: await TokenStore.load(settings.auth),
    metrics,
    logger: createLogger('silent'),
    ...(slack ? { slack } : {}),
  });
  return listen(app, '127.0.0.1', 0);
}

/** What every Slack test starts with: the stand-in, the suite's client and a worker on its own queue. */
export interface SlackHarness {
  slack: SlackStandIn;
  client: Client;
  worker: TestWorker;
  /** Stops the worker, then the stand-in; the client closes with the test file. */
  stop: () => Promise<void>;
}

/**
 * Starts Slack's stand-in and a worker on `taskQueue` with the real activities; unless `notify` is
 * false, the worker posts incidents' messages to the stand-in as it would to Slack.
 */
export async function startSlackHarness(
  taskQueue: string,
  activities: Parameters<typeof testActivities>[0],
  { notify = true }: { notify?: boolean } = {},
): Promise<SlackHarness> {
  const slack = await startSlackStandIn();
  const client = await testClient();
  const worker = await startTestWorker(
    testActivities({
      ...(notify ? { notify: { slack: { token: 'xoxb-test', apiUrl: slack.apiUrl } } } : {}),
      ...activities,
    }),
    taskQueue,
  );
  return {
    slack,
    client,
    worker,
    stop: async () => {
      await worker.stop();
      await slack.close();
    },
  };
}

/** The options every test's Slack app shares: the stand-in's Web API, the harness's client, no logs. */
export function slackAppOptions({
  slack,
  client,
}: Pick<SlackHarness, 'slack' | 'client'>): SlackApprovalsOptions {
  return { botToken: 'xoxb-test', apiUrl: slack.apiUrl, temporal: client, logger: createLogger('silent') };
}
