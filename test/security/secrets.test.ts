import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import { describe, expect, it, beforeAll, afterAll, inject } from 'vitest';
import { pino } from 'pino';
import {
  createNotifyActivities,
  NOTIFICATION_NOT_CONFIGURED,
  type EscalationNotice,
} from '../../src/activities/notify.js';
import { createApp } from '../../src/api/app.js';
import { TokenStore } from '../../src/api/auth.js';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings } from '../../src/config/settings.js';
import type { EscalationTarget, IncidentState, Recommendation } from '../../src/domain/incident.js';
import {
  parseRunbook,
  planFromRunbook,
  RunbookError,
  type RunbookProblem,
} from '../../src/domain/runbook.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { postJson } from '../../src/notify/http.js';
import { buildReport } from '../../src/reports/index.js';
import { planWithoutSecrets, REDACTED, stateWithoutSecrets } from '../../src/secrets/plan.js';
import { Redactor } from '../../src/secrets/redact.js';
import { resolveSecret, SecretUnavailableError } from '../../src/secrets/resolve.js';
import { alertsSignal } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { makeAlert, resolvedAlert, startIncident, waitForState } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const { RetryState } = proto.temporal.api.enums.v1;
const secret = (): string => randomBytes(18).toString('base64url');

function problemsOf(text: string): RunbookProblem[] {
  try {
    parseRunbook('runbooks/flush.yaml', text);
    return [];
  } catch (err) {
    if (err instanceof RunbookError) return err.problems;
    throw err;
  }
}

const flushRunbook = (headers: string, escalation = '[]'): string => `title: Flush the cache
match: { alertnames: [CachePressure] }
risk: low
approval: { timeout: 1s, escalation: ${escalation}, finalPolicy: abort }
scope: { http: { hosts: [cache.internal:8080] } }
steps:
  - action: http.call
    url: http://cache.internal:8080/maintenance/flush
    headers: ${headers}
`;

const plan = (text: string, defaults: Partial<Parameters<typeof planFromRunbook>[2]> = {}): Recommendation =>
  planFromRunbook(
    parseRunbook('runbooks/flush.yaml', text),
    { alertName: 'CachePressure', labels: {} },
    { approvers: [], dryRun: false, ...defaults },
  );

describe('a runbook names its secrets instead of writing them', () => {
  it.each([
    ['Authorization', 'Bearer s3cr3t-token'],
    ['authorization', 'anything'],
    ['Proxy-Authorization', 'Basic dXNlcjpwYXNz'],
    ['Cookie', 'session=abc'],
    ['X-Api-Key', 'k-123'],
    ['Api-Key', 'k-123'],
    ['X-Auth-Token', 't-123'],
    ['X-Vault-Token', 't-123'],
    ['X-Webhook-Secret', 's-123'],
    ['X-Custom', 'Bearer eyJhbGciOi'],
  ])(
    'when %s is written as text, then the runbook check refuses it and says how to name it',
    (name, value) => {
      const problems = problemsOf(flushRunbook(`{ ${name}: '${value}' }`));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({
        file: 'runbooks/flush.yaml',
        line: 9,
        field: `steps.0.headers.${name}`,
      });
      expect(problems[0]?.message).toContain('name a secret instead');
      expect(problems[0]?.message).toContain('secret: { env: CACHE_TOKEN }');
      // The refusal never repeats the value it refused.
      expect(problems[0]?.message).not.toContain(value);
    },
  );

  it('when a header carries no credential, then it may be written as text', () => {
    const p = plan(flushRunbook(`{ Content-Type: application/json, X-Request-Source: steadfast }`));
    expect(p.steps[0]).toMatchObject({
      headers: { 'Content-Type': 'application/json', 'X-Request-Source': 'steadfast' },
    });
  });

  it('when a header names a secret, then the plan holds the name only', () => {
    const p = plan(
      flushRunbook(
        `{ Authorization: { prefix: 'Bearer ', secret: { env: CACHE_TOKEN } }, X-Api-Key: { secret: { file: /run/secrets/cache-key } } }`,
      ),
    );
    expect(p.steps[0]).toMatchObject({
      headers: {
        Authorization: { prefix: 'Bearer ', secret: { env: 'CACHE_TOKEN' } },
        'X-Api-Key': { secret: { file: '/run/secrets/cache-key' } },
      },
    });
  });

  it.each([
    ['STEADFAST_API_TOKEN', `{ Authorization: { secret: { env: STEADFAST_API_TOKEN } } }`],
    ['STEADFAST_CODEC_KEYS', `{ X-Keys: { secret: { env: STEADFAST_CODEC_KEYS } } }`],
    ['SLACK_BOT_TOKEN', `{ Authorization: { secret: { env: SLACK_BOT_TOKEN } } }`],
  ])("when a header names Steadfast's own %s, then the runbook is refused", (_name, headers) => {
    const problems = problemsOf(flushRunbook(headers));
    expect(problems.map((p) => p.message)).toEqual([
      "a runbook cannot send Steadfast's own credentials; name a secret of the service it calls",
    ]);
  });

  it.each([
    ['a relative path', '{ secret: { file: run/secrets/x } }'],
    ['a path with ..', '{ secret: { file: /run/secrets/../../etc/shadow } }'],
    ['an odd variable name', '{ secret: { env: "A-B" } }'],
    ['both sources', '{ secret: { env: A, file: /x } }'],
  ])('when a reference has %s, then it is refused', (_what, ref) => {
    expect(problemsOf(flushRunbook(`{ Authorization: ${ref} }`))).not.toEqual([]);
  });

  it('when an escalation target names its URL, then the plan holds the name, not the URL', () => {
    const p = plan(
      flushRunbook(
        '{}',
        `[{ notify: [{ type: webhook, url: { secret: { env: ONCALL_WEBHOOK } } }, { type: teams, url: { secret: { file: /run/secrets/teams } }, format: adaptive }, { type: discord, url: { secret: { env: DISCORD_HOOK } } }], wait: 5m }]`,
      ),
    );
    expect(p.escalation.levels[0]?.notify).toEqual([
      { type: 'webhook', url: { secret: { env: 'ONCALL_WEBHOOK' } } },
      { type: 'teams', url: { secret: { file: '/run/secrets/teams' } }, format: 'adaptive' },
      { type: 'discord', url: { secret: { env: 'DISCORD_HOOK' } } },
    ]);
  });
});

describe('STEADFAST_ESCALATION_WEBHOOK_URL becomes a reference at plan time', () => {
  const hook = `https://hooks.example/services/T0/B0/${secret()}`;

  it('when it is set, then the default escalation level names the variable and the plan never holds the URL', () => {
    const settings = loadSettings({ STEADFAST_ESCALATION_WEBHOOK_URL: hook });
    expect(settings.escalationWebhook).toEqual({ secret: { env: 'STEADFAST_ESCALATION_WEBHOOK_URL' } });
    expect(JSON.stringify(settings)).not.toContain(hook);

    const p = plan(flushRunbook('{}'), { escalationWebhookUrl: settings.escalationWebhook });
    expect(p.escalation.levels[0]?.notify).toEqual([
      { type: 'log' },
      { type: 'webhook', url: { secret: { env: 'STEADFAST_ESCALATION_WEBHOOK_URL' } } },
    ]);
    expect(JSON.stringify(p)).not.toContain('hooks.example');
  });

  it('when it is given as a file, then the plan names the file', () => {
    const settings = loadSettings({ STEADFAST_ESCALATION_WEBHOOK_URL_FILE: '/run/secrets/escalation' });
    expect(settings.escalationWebhook).toEqual({ secret: { file: '/run/secrets/escalation' } });
    expect(() =>
      loadSettings({
        STEADFAST_ESCALATION_WEBHOOK_URL: hook,
        STEADFAST_ESCALATION_WEBHOOK_URL_FILE: '/run/secrets/escalation',
      }),
    ).toThrow(/not both/);
  });
});

describe('secrets are read at the moment of use', () => {
  it('when the variable is missing or empty, then the error names the reference', async () => {
    await expect(resolveSecret({ secret: { env: 'NOPE' } }, { env: {} })).rejects.toThrow(
      'secret env:NOPE is not set',
    );
    await expect(resolveSecret({ secret: { env: 'E' } }, { env: { E: '' } })).rejects.toThrow(
      'secret env:E is empty',
    );
  });

  it('when the secret is a file, then its value is read without the trailing newline, and a missing one is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-secret-'));
    const value = secret();
    writeFileSync(join(dir, 'token'), `${value}\n`);
    expect(await resolveSecret({ secret: { file: join(dir, 'token') } })).toBe(value);
    const err = await resolveSecret({ secret: { file: join(dir, 'absent') } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretUnavailableError);
    expect((err as Error).message).toBe(`secret file:${join(dir, 'absent')} does not exist`);
    writeFileSync(join(dir, 'huge'), 'x'.repeat(70_000));
    await expect(resolveSecret({ secret: { file: join(dir, 'huge') } })).rejects.toThrow(/larger than/);
  });
});

describe('what leaves an activity is scrubbed of the secrets it read', () => {
  const value = secret();
  const redactor = new Redactor().add(value, 'env:CACHE_TOKEN');

  it('when text quotes a secret, plainly or URL-encoded, then it shows the reference instead', () => {
    expect(redactor.redact(`a ${value} b`)).toBe('a [secret env:CACHE_TOKEN] b');
    const odd = new Redactor().add('p@ss word/1', 'file:/s');
    expect(odd.redact('u=p%40ss%20word%2F1')).toBe('u=[secret file:/s]');
  });

  it('when text was cut inside a secret, then its beginning goes too', () => {
    expect(redactor.redactCut(`body ${value.slice(0, 9)}`)).toBe('body [secret env:CACHE_TOKEN]');
    expect(redactor.redactCut('body ends cleanly')).toBe('body ends cleanly');
  });
});

/** A webhook receiver standing in for Slack/Teams/Discord: it records the paths it is posted to. */
let receiver: Server;
let receiverBase = '';
const posted: string[] = [];
beforeAll(async () => {
  receiver = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      posted.push(req.url ?? '');
      res.writeHead(req.url?.startsWith('/fail') ? 400 : 204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

describe('escalation webhooks by reference', () => {
  const notice = (targets: EscalationTarget[]): EscalationNotice => ({
    incidentId: 'incident-secrets',
    title: 'Cache pressure',
    service: 'cache',
    severity: 'warning',
    level: 1,
    recommendation: 'flush the cache',
    targets,
  });
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  const notify = createNotifyActivities({ logger, incidentUrl: (id) => `http://ui/${id}` });

  it('when the target names its URL, then the activity reads it and posts there, and its result and logs name the reference', async () => {
    const path = `/services/T0/B0/${secret()}`;
    process.env['TEST_ONCALL_WEBHOOK'] = `${receiverBase}${path}`;
    posted.length = 0;
    const targets: EscalationTarget[] = [
      { type: 'webhook', url: { secret: { env: 'TEST_ONCALL_WEBHOOK' } } },
    ];
    const result = await notify.notifyEscalation(notice(targets));
    expect(posted).toEqual([path]);
    expect(result.delivered).toEqual(['webhook:env:TEST_ONCALL_WEBHOOK']);
    expect(lines.join('\n')).not.toContain(path);
  });

  it('when the variable is missing, then the escalation fails for good, naming the variable and nothing else', async () => {
    delete process.env['TEST_MISSING_WEBHOOK'];
    posted.length = 0;
    const targets: EscalationTarget[] = [
      { type: 'discord', url: { secret: { env: 'TEST_MISSING_WEBHOOK' } } },
      { type: 'log' },
    ];
    const err = await notify.notifyEscalation(notice(targets)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).type).toBe(NOTIFICATION_NOT_CONFIGURED);
    expect((err as ApplicationFailure).message).toContain(
      'discord:env:TEST_MISSING_WEBHOOK: secret env:TEST_MISSING_WEBHOOK is not set',
    );
    expect(posted).toEqual([]);
  });

  it('when the variable holds no URL, then the error says so without quoting it', async () => {
    const value = `not a url ${secret()}`;
    process.env['TEST_BAD_WEBHOOK'] = value;
    const targets: EscalationTarget[] = [{ type: 'teams', url: { secret: { env: 'TEST_BAD_WEBHOOK' } } }];
    const err = await notify.notifyEscalation(notice(targets)).catch((e: unknown) => e);
    expect((err as Error).message).toContain('secret env:TEST_BAD_WEBHOOK does not hold a URL');
    expect((err as Error).message).not.toContain(value);
  });

  it('when fetch itself fails on the URL, then the error shows its origin, never its secret path', async () => {
    const url = `${receiverBase}/hooks/${secret()}`;
    const failing: typeof fetch = () => Promise.reject(new TypeError(`Failed to parse URL from ${url}`));
    const err = await postJson(url, {}, 'escalation webhook', failing).catch((e: unknown) => e);
    expect((err as Error).message).toContain(receiverBase);
    expect((err as Error).message).not.toContain(url);
  });
});

describe('plans made before references: what the API shows of them', () => {
  const token = secret();
  const old: Recommendation = {
    ...plan(flushRunbook('{}')),
    steps: [
      {
        action: 'http.call',
        method: 'POST',
        url: 'http://cache.internal:8080/flush',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        expectStatus: [200],
        timeoutMs: 1000,
      },
    ],
    escalation: {
      timeoutMs: 1000,
      finalPolicy: 'abort',
      levels: [
        { notify: [{ type: 'discord', url: `https://discord.com/api/webhooks/1/${token}` }], waitMs: 1 },
      ],
    },
  };

  it('when an old plan holds a credential header or a webhook URL as text, then the API copy cuts them and keeps the rest', () => {
    const shown = planWithoutSecrets(old);
    expect(JSON.stringify(shown)).not.toContain(token);
    expect(shown.steps[0]).toMatchObject({
      headers: { Authorization: REDACTED, 'Content-Type': 'application/json' },
    });
    expect(shown.escalation.levels[0]?.notify[0]).toEqual({
      type: 'discord',
      url: `https://discord.com/${REDACTED}`,
    });
    const state = { recommendation: old } as IncidentState;
    expect(JSON.stringify(stateWithoutSecrets(state))).not.toContain(token);
    // The plan the workflow runs is untouched.
    expect(JSON.stringify(old)).toContain(token);
  });
});

describe('on a real Temporal server, secrets by reference stay out of history, the API and the report', () => {
  const TASK_QUEUE = 'secrets-scenarios';
  const token = secret();
  const hookPath = `/services/T0/B0/${secret()}`;
  const READ = 'secrets-reader-0123456789abcdef';
  let service: Server;
  let base = '';
  const calls: { url: string; auth: string | undefined }[] = [];
  let client: Client;
  let worker: TestWorker;
  let api: RunningServer;

  const runbook = (alert: string, path: string, env: string): string => `title: Flush (${alert})
match: { alertnames: [${alert}] }
risk: low
approval: { timeout: 1s, finalPolicy: auto-approve }
scope: { http: { hosts: ['${base.replace('http://', '')}'] } }
steps:
  - action: http.call
    url: ${base}${path}
    headers: { Authorization: { prefix: 'Bearer ', secret: { env: ${env} } }, Content-Type: application/json }
verify: { within: 20s, interval: 1s }
`;

  beforeAll(async () => {
    service = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls.push({ url: req.url ?? '', auth: req.headers.authorization });
        res.writeHead(202).end(`flushing; you sent ${req.headers.authorization ?? 'nothing'}`);
      });
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
    process.env['TEST_SECRETS_CACHE_TOKEN'] = token;
    delete process.env['TEST_SECRETS_NOT_SET'];
    // The settings name the variable; the activity reads this process's value when it sends.
    process.env['STEADFAST_ESCALATION_WEBHOOK_URL'] = `${base}${hookPath}`;
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-secrets-'));
    writeFileSync(
      join(dir, 'tokens.yaml'),
      `tokens:\n  - { identity: viewer, roles: [read], token: ${READ} }\n`,
    );
    const settings = loadSettings({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      STEADFAST_TOKENS_FILE: join(dir, 'tokens.yaml'),
      STEADFAST_ESCALATION_WEBHOOK_URL: `${base}${hookPath}`,
    });
    client = await testClient();
    worker = await startTestWorker(
      testActivities({
        runbooks: {
          'flush.yaml': runbook('SecretsCachePressure', '/maintenance/flush', 'TEST_SECRETS_CACHE_TOKEN'),
          'missing.yaml': runbook('SecretsMissing', '/maintenance/missing', 'TEST_SECRETS_NOT_SET'),
        },
        recommend: settings.escalationWebhook ? { escalationWebhookUrl: settings.escalationWebhook } : {},
        temporal: client,
      }),
      TASK_QUEUE,
    );
    api = await listen(
      createApp({
        settings,
        client,
        tokens: await TokenStore.load(settings.auth),
        metrics: createMetrics(),
        logger: createLogger('silent'),
      }),
      '127.0.0.1',
      0,
    );
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await worker?.stop();
    await new Promise<void>((resolve) => service.close(() => resolve()));
  });

  /** The text of every payload anywhere in the history's events. */
  const payloadTexts = (node: unknown, out: string[] = []): string[] => {
    if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return out;
    if ('metadata' in node && 'data' in node && node.data instanceof Uint8Array) {
      out.push(Buffer.from(node.data).toString('utf8'));
      return out;
    }
    for (const v of Object.values(node)) payloadTexts(v, out);
    return out;
  };

  const run = async (
    alertName: string,
  ): Promise<{
    state: IncidentState;
    history: string;
    id: string;
    failures: { type: string; retry: number }[];
  }> => {
    const id = `incident-${alertName}-${Date.now().toString(36)}`;
    const alert = makeAlert({ alertName, labels: { service: 'cache' } });
    const handle = await startIncident(client, TASK_QUEUE, id, [alert], { debounceMs: 200 });
    const acted = await waitForState(handle, (s) => s.actions.some((a) => a.status !== 'running'), 40_000);
    // A failed action closes the incident by itself; a done one waits for the alert to resolve.
    if (acted.stage !== 'closed') await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    const state = await waitForState(handle, (s) => s.stage === 'closed', 40_000);
    const history = await handle.fetchHistory();
    const failures = (history.events ?? []).flatMap((e) => {
      const f = e.activityTaskFailedEventAttributes;
      return f ? [{ type: f.failure?.applicationFailureInfo?.type ?? '', retry: f.retryState ?? 0 }] : [];
    });
    // Payloads are base64 in the JSON: their text is added, so a search sees everything history holds.
    const texts = payloadTexts(history.events);
    return { state, history: `${historyToJSON(history)}\n${texts.join('\n')}`, id, failures };
  };

  it('when the incident runs, then the call and the default escalation webhook get their secrets, and nothing Temporal keeps holds them', async () => {
    const { state, history, id } = await run('SecretsCachePressure');
    expect(calls).toContainEqual({ url: '/maintenance/flush', auth: `Bearer ${token}` });
    expect(calls.map((c) => c.url)).toContain(hookPath);
    expect(state.actions.map((a) => a.status)).toEqual(['done']);
    // The service echoed the token: the timeline has the reference in its place.
    expect(state.actions[0]?.effect).toContain('you sent Bearer [secret env:TEST_SECRETS_CACHE_TOKEN]');

    // History holds the names (the plan, the escalation's target) and never the values.
    expect(history).toContain('TEST_SECRETS_CACHE_TOKEN');
    expect(history).toContain('STEADFAST_ESCALATION_WEBHOOK_URL');
    for (const text of [token, hookPath]) expect(history).not.toContain(text);

    const res = await fetch(`${api.url}/api/v1/incidents/${id}`, {
      headers: { authorization: `Bearer ${READ}` },
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('TEST_SECRETS_CACHE_TOKEN');
    for (const text of [token, hookPath]) expect(body).not.toContain(text);

    const report = await buildReport({ state, temporal: client, workflowUrl: 'http://ui' });
    for (const text of [token, hookPath]) expect(report).not.toContain(text);
  });

  it('when a named secret is missing, then the call fails once for good, naming the reference, and nothing is sent', async () => {
    const { state, history, failures } = await run('SecretsMissing');
    expect(calls.map((c) => c.url)).not.toContain('/maintenance/missing');
    expect(state.actions[0]?.status).toBe('failed');
    expect(state.actions[0]?.error).toContain('secret env:TEST_SECRETS_NOT_SET is not set');
    // Non-retryable: one attempt, recorded with its type (the other failure is the refused undo of a call).
    expect(failures.filter((f) => f.type === 'SecretUnavailable')).toEqual([
      { type: 'SecretUnavailable', retry: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE },
    ]);
    expect(history).not.toContain(token);
  });
});
