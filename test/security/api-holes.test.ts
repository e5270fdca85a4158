/**
 * Smaller holes at the API's edge, each shown closed on the real API and a real Temporal server: the
 * health endpoint tells strangers nothing about Temporal, and one request cannot fan out into hundreds
 * of incidents.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { MAX_GROUPS_PER_REQUEST } from '../../src/api/routes/ingest.js';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { alertFromGeneric, genericAlertSchema } from '../../src/domain/alert.js';
import { correlate } from '../../src/domain/correlation.js';
import { alertPayload, startOfflineApi, testApp } from '../support/api-harness.js';
import { testClient, workflowExists } from '../support/temporal.js';

const TOKENS = {
  reader: 'reader-token-0123456789abcdef',
  ingester: 'ingester-token-0123456789abcdef',
  other: 'other-ingester-token-0123456789ab',
};
const dir = mkdtempSync(join(tmpdir(), 'steadfast-api-holes-'));
const tokensFile = join(dir, 'tokens.yaml');
writeFileSync(
  tokensFile,
  [
    'tokens:',
    `  - { identity: reader, roles: [read], token: ${TOKENS.reader} }`,
    `  - { identity: ingester, roles: [ingest], token: ${TOKENS.ingester} }`,
    `  - { identity: other, roles: [ingest], token: ${TOKENS.other} }`,
  ].join('\n'),
);

let server: RunningServer;
let client: Client;
let settings: Settings;

async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as Record<string, unknown> };
}

const exists = (id: string): Promise<boolean> => workflowExists(client, id);

/** The API's settings here (the test's Temporal, a task queue no worker polls, these tokens), with `env` on top. */
const settingsWith = (env: Record<string, string>): Settings =>
  loadSettings({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: 'api-holes-no-worker',
    STEADFAST_TOKENS_FILE: tokensFile,
    STEADFAST_API_PORT: '0',
    ...env,
  });

beforeAll(async () => {
  // No worker: nothing here may start an incident, and what would start one stays visible in Temporal.
  settings = settingsWith({});
  client = await testClient();
  server = await listen(await testApp(settings), '127.0.0.1', 0);
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/v1/health', () => {
  it('when Temporal is down, then a stranger gets only the status, and a reader the gRPC status, never its address', async () => {
    const offline = await startOfflineApi({ STEADFAST_TOKENS_FILE: tokensFile });
    try {
      // Each answer waits for the offline API's 2 s Temporal deadline: ask all at once.
      const [stranger, reader, ...others] = await Promise.all(
        [undefined, TOKENS.reader, TOKENS.ingester, 'not-a-token-0123456789'].map((token) =>
          call(offline.url, 'GET', '/api/v1/health', token ? { token } : {}),
        ),
      );
      if (!stranger || !reader) throw new Error('no answer');
      expect(stranger.status).toBe(503);
      expect(stranger.json).toEqual({ status: 'degraded' });

      expect(reader.status).toBe(503);
      expect(reader.json).toEqual({
        status: 'degraded',
        temporal: { reachable: false, reason: expect.stringMatching(/^[A-Z_]+$|^no answer$/) as unknown },
      });
      // The offline API's Temporal is 127.0.0.1:1: neither the address nor the port is named.
      for (const r of [stranger, reader]) {
        expect(r.text).not.toContain('127.0.0.1');
        expect(r.text).not.toMatch(/:1\b/);
        expect(r.text).not.toMatch(/ECONNREFUSED|connect|No connection/i);
      }

      // Neither an ingest-only token nor a wrong one learns more than a stranger.
      for (const other of others) {
        expect(other.status).toBe(503);
        expect(other.json).toEqual({ status: 'degraded' });
      }
    } finally {
      await offline.close();
    }
  });

  it('when Temporal is up, then a stranger gets {"status":"ok"} and a reader also the latency', async () => {
    const stranger = await call(server.url, 'GET', '/api/v1/health');
    expect(stranger.status).toBe(200);
    expect(stranger.json).toEqual({ status: 'ok' });

    const reader = await call(server.url, 'GET', '/api/v1/health', { token: TOKENS.reader });
    expect(reader.status).toBe(200);
    expect(reader.json).toEqual({
      status: 'ok',
      temporal: { reachable: true, latencyMs: expect.any(Number) as unknown },
    });
  });
});

describe('POST /api/v1/alerts fan-out', () => {
  const run = Date.now().toString(36);
  const alerts = (count: number, status: 'firing' | 'resolved') =>
    Array.from({ length: count }, (_, i) => ({
      title: 'Fan out',
      severity: 'warning',
      service: `fan-${run}-${status}-${count}-${i}`,
      status,
    }));
  /** The incident each alert would open, computed as the API does. */
  const incidentIds = (body: ReturnType<typeof alerts>): string[] =>
    body.map((input) => {
      const alert = alertFromGeneric(genericAlertSchema.parse(input), new Date());
      return correlate(alert.labels, alert.fingerprint, settings.correlationLabels).incidentId;
    });

  it(`when one request holds alerts of ${MAX_GROUPS_PER_REQUEST + 1} incidents, then it is refused with 413 and none starts`, async () => {
    const body = alerts(MAX_GROUPS_PER_REQUEST + 1, 'firing');
    const r = await call(server.url, 'POST', '/api/v1/alerts', { token: TOKENS.ingester, body });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ error: 'TooManyIncidents' });
    expect(String(r.json['message'])).toContain(`at most ${MAX_GROUPS_PER_REQUEST}`);
    const started = [];
    for (const id of incidentIds(body)) if (await exists(id)) started.push(id);
    expect(started).toEqual([]);
  });

  it('when the old maximum of 1,000 alerts is 1,000 incidents, then it is refused at once, before any start', async () => {
    const body = alerts(1000, 'firing');
    const began = Date.now();
    const r = await call(server.url, 'POST', '/api/v1/alerts', { token: TOKENS.ingester, body });
    expect(r.status).toBe(413);
    expect(Date.now() - began).toBeLessThan(5000);
    const sample = incidentIds(body).filter((_, i) => i % 100 === 0);
    for (const id of sample) expect(await exists(id), id).toBe(false);
  });

  it(`when one request holds ${MAX_GROUPS_PER_REQUEST} incidents, or many alerts of one, then it is accepted`, async () => {
    // Resolved alerts reach only open incidents, so these are all answered without opening any.
    const groups = await call(server.url, 'POST', '/api/v1/alerts', {
      token: TOKENS.ingester,
      body: alerts(MAX_GROUPS_PER_REQUEST, 'resolved'),
    });
    expect(groups.status).toBe(202);
    expect(groups.json['incidents']).toHaveLength(MAX_GROUPS_PER_REQUEST);

    const oneService = alerts(500, 'resolved').map((a, i) => ({
      ...a,
      service: `fan-${run}-one`,
      dedupKey: `k${i}`,
    }));
    const many = await call(server.url, 'POST', '/api/v1/alerts', {
      token: TOKENS.ingester,
      body: oneService,
    });
    expect(many.status).toBe(202);
    expect(many.json['incidents']).toEqual([
      expect.objectContaining({ alerts: 500, status: 'no-open-incident' }),
    ]);
  });
});

describe('the request log', () => {
  it("names the identity of each request's token, so a flooding sender can be told from the others", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const own = await listen(await testApp(settings, { logger }), '127.0.0.1', 0);
    try {
      const body = { title: 'Logged', severity: 'warning', service: 'logged', status: 'resolved' };
      expect((await call(own.url, 'POST', '/api/v1/alerts', { token: TOKENS.ingester, body })).status).toBe(
        202,
      );
      expect((await call(own.url, 'POST', '/api/v1/alerts', { body })).status).toBe(401);
      await expect.poll(() => lines.filter((l) => l['event'] === 'api.request').length).toBe(2);
      expect(lines.filter((l) => l['event'] === 'api.request')).toEqual([
        expect.objectContaining({ path: '/alerts', status: 202, identity: 'ingester' }),
        expect.not.objectContaining({ identity: expect.anything() as unknown }),
      ]);
    } finally {
      await own.close();
    }
  });
});

describe('a 400 for a body with many problems', () => {
  it('when 1,000 alerts each have two problems, then the answer lists 50 of them and counts the rest', async () => {
    const body = Array.from({ length: 1000 }, () => ({
      severity: 'warning',
      service: 'x',
      status: 'on fire',
    }));
    const r = await call(server.url, 'POST', '/api/v1/alerts', { token: TOKENS.ingester, body });
    expect(r.status).toBe(400);
    expect(r.json['error']).toBe('InvalidInput');
    const details = r.json['details'] as { path: string; message: string }[];
    expect(details).toHaveLength(51);
    expect(details[0]?.path).toBe('0.title');
    expect(details.at(-1)).toEqual({ path: '', message: 'and 1950 more problems in the same request' });
    // The request is about 60 KB; the answer stays a few KB instead of growing with every problem.
    expect(r.text.length).toBeLessThan(20_000);
  });
});

describe('POST /api/v1/alerts grouping', () => {
  it('when correlation labels name one the request does not group by, then alerts of different incidents are not carried into one', async () => {
    const run = Date.now().toString(36);
    const byCluster = settingsWith({ STEADFAST_CORRELATION_LABELS: 'alertname,service,cluster' });
    const own = await listen(await testApp(byCluster), '127.0.0.1', 0);
    try {
      const body = ['a', 'b'].map((cluster) => ({
        title: 'Grouped',
        severity: 'warning',
        service: `group-${run}`,
        labels: { cluster },
      }));
      const r = await call(own.url, 'POST', '/api/v1/alerts', { token: TOKENS.ingester, body });
      expect(r.status).toBe(202);
      const expected = body.map((input) => {
        const alert = alertFromGeneric(genericAlertSchema.parse(input), new Date());
        return correlate(alert.labels, alert.fingerprint, byCluster.correlationLabels).incidentId;
      });
      expect(new Set(expected).size).toBe(2);
      const answered = r.json['incidents'] as { incidentId: string; alerts: number }[];
      expect(answered.map((i) => [i.incidentId, i.alerts])).toEqual(expected.map((id) => [id, 1]));
      for (const id of expected) expect(await exists(id), id).toBe(true);
    } finally {
      await own.close();
    }
  });
});

describe('incidents one sender may open a minute', () => {
  it('when a sender opens more than its limit, then the rest get 503 with Retry-After and start nothing, while its known groups, its resolutions and other senders go through', async () => {
    const run = Date.now().toString(36);
    const limited = settingsWith({ STEADFAST_MAX_NEW_INCIDENTS_PER_MINUTE: '3' });
    const own = await listen(await testApp(limited), '127.0.0.1', 0);
    const alert = (service: string, status: 'firing' | 'resolved' = 'firing') => ({
      title: 'Flood',
      severity: 'warning',
      service: `flood-${run}-${service}`,
      status,
    });
    const idOf = (input: ReturnType<typeof alert>): string => {
      const parsed = alertFromGeneric(genericAlertSchema.parse(input), new Date());
      return correlate(parsed.labels, parsed.fingerprint, limited.correlationLabels).incidentId;
    };
    const send = (token: string, body: unknown) => call(own.url, 'POST', '/api/v1/alerts', { token, body });
    try {
      const first = [alert('a'), alert('b'), alert('c')];
      expect((await send(TOKENS.ingester, first)).status).toBe(202);

      // A fourth incident, alone or beside a known one: the whole request is refused, nothing starts.
      for (const body of [[alert('d')], [alert('a'), alert('e')]]) {
        const response = await fetch(`${own.url}/api/v1/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.ingester}` },
          body: JSON.stringify(body),
        });
        const json = (await response.json()) as Record<string, unknown>;
        expect(response.status).toBe(503);
        expect(json['error']).toBe('TooManyNewIncidents');
        expect(String(json['message'])).toMatch(
          /^ingester may open 3 incidents a minute \(STEADFAST_MAX_NEW_INCIDENTS_PER_MINUTE\) and this request would open more; nothing was recorded: retry in \d+s$/,
        );
        const wait = Number(response.headers.get('retry-after'));
        expect(wait).toBeGreaterThanOrEqual(1);
        expect(wait).toBeLessThanOrEqual(60);
      }
      for (const service of ['d', 'e']) expect(await exists(idOf(alert(service)))).toBe(false);

      // The Alertmanager webhook counts the same way.
      const webhook = alertPayload({
        alertname: 'Flood',
        labels: { service: `flood-${run}-am` },
        summary: 'flood',
      });
      const refused = await call(own.url, 'POST', '/api/v1/alertmanager', {
        token: TOKENS.ingester,
        body: webhook,
      });
      expect(refused.status).toBe(503);

      // Its own groups again, a resolution, and another sender's new incident are not held back.
      expect((await send(TOKENS.ingester, [alert('a'), alert('c')])).status).toBe(202);
      expect((await send(TOKENS.ingester, [alert('f', 'resolved')])).status).toBe(202);
      expect((await send(TOKENS.other, [alert('g')])).status).toBe(202);
      for (const service of ['a', 'b', 'c', 'g']) expect(await exists(idOf(alert(service)))).toBe(true);
    } finally {
      await own.close();
    }
  });

  it('when Temporal is down, then the requests that recorded nothing do not use up the minute: each says Temporal is down', async () => {
    const offline = await startOfflineApi({
      STEADFAST_TOKENS_FILE: tokensFile,
      STEADFAST_MAX_NEW_INCIDENTS_PER_MINUTE: '2',
    });
    try {
      for (const service of ['a', 'b', 'c']) {
        const body = [
          { title: 'Down', severity: 'warning', service: `down-${Date.now().toString(36)}-${service}` },
        ];
        const answer = await call(offline.url, 'POST', '/api/v1/alerts', { token: TOKENS.ingester, body });
        expect(answer.status).toBe(503);
        expect(answer.json).toMatchObject({ error: 'TemporalUnavailable' });
      }
    } finally {
      await offline.close();
    }
  });
});

describe('a key "__proto__" in a body', () => {
  const run = Date.now().toString(36);

  it('when an alert carries a label "__proto__", then the request is refused with 400 naming where, and no incident starts', async () => {
    const body = `[{"title":"Proto","severity":"warning","service":"proto-${run}","labels":{"__proto__":"x"}}]`;
    const response = await fetch(`${server.url}/api/v1/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.ingester}` },
      body,
    });
    const json = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(400);
    expect(json).toMatchObject({ error: 'InvalidInput' });
    expect(String(json['message'])).toContain('0.labels: the key "__proto__" is not accepted');
    // The same alert without the key would open this incident: it was never started.
    const alert = alertFromGeneric(
      genericAlertSchema.parse({ title: 'Proto', severity: 'warning', service: `proto-${run}` }),
      new Date(),
    );
    expect(
      await exists(correlate(alert.labels, alert.fingerprint, settings.correlationLabels).incidentId),
    ).toBe(false);
  });

  it('when an Alertmanager webhook carries it in an annotation, then it is refused with 400 too', async () => {
    const body = `{"version":"4","status":"firing","receiver":"r","groupKey":"{}","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"","alerts":[{"status":"firing","labels":{"alertname":"Proto${run}"},"annotations":{"__proto__":{"polluted":true}},"startsAt":"2026-12-01T00:00:00Z","fingerprint":"fp-proto-${run}"}]}`;
    const response = await fetch(`${server.url}/api/v1/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.ingester}` },
      body,
    });
    expect(response.status).toBe(400);
    expect(String(((await response.json()) as Record<string, unknown>)['message'])).toContain(
      'alerts.0.annotations: the key "__proto__"',
    );
  });
});

describe('a body nested deeper than any alert', () => {
  it('when a body is a megabyte of nested brackets, then it is refused with 400 before it is parsed', async () => {
    const depth = 500_000;
    const response = await fetch(`${server.url}/api/v1/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.ingester}` },
      body: `${'['.repeat(depth)}${']'.repeat(depth)}`,
    });
    const json = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(400);
    expect(json).toMatchObject({
      error: 'InvalidInput',
      message: 'invalid body: the body nests arrays and objects deeper than 32 levels',
    });
  });

  it('when the nesting is hidden in UTF-7, where a bracket is not its byte, then the body is refused with 415 before it is read', async () => {
    // "[" is "+AFs-" in UTF-7: the raw bytes hold no bracket for the depth check to count.
    const depth = 100_000;
    const response = await fetch(`${server.url}/api/v1/alerts`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-7',
        authorization: `Bearer ${TOKENS.ingester}`,
      },
      body: `${'+AFs-'.repeat(depth)}${'+AF0-'.repeat(depth)}`,
    });
    const json = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(415);
    expect(json).toMatchObject({ error: 'UnsupportedCharset' });
    expect(String(json['message'])).toContain('"utf-7"');
  });

  it.each(['utf-16le', 'UTF-16', 'iso-8859-1', ''])(
    'when a JSON alert is sent with charset %j, then only UTF-8 (or no charset) is read',
    async (charset) => {
      const body = JSON.stringify([{ title: 'Charset', severity: 'warning', service: 'x'.repeat(300) }]);
      const response = await fetch(`${server.url}/api/v1/alerts`, {
        method: 'POST',
        headers: {
          'content-type': `application/json; charset=${charset}`,
          authorization: `Bearer ${TOKENS.ingester}`,
        },
        body,
      });
      // Read (and refused for its service's length) when no charset is named; 415 for any other.
      expect(response.status).toBe(charset === '' ? 400 : 415);
    },
  );

  it('when the payload codec is off, then its endpoint refuses without reading the body at all', async () => {
    const response = await fetch(`${server.url}/api/v1/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.reader}` },
      body: `not JSON ${'['.repeat(100_000)}`,
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'CodecOff' });
  });

  it('when brackets sit inside strings, then they are text and do not count', async () => {
    const title = `${'['.repeat(40)}${'{'.repeat(40)}`;
    const body = JSON.stringify([{ title, severity: 'warning', service: 'x'.repeat(300) }]);
    const r = await fetch(`${server.url}/api/v1/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.ingester}` },
      body,
    });
    // Refused for its service's length, which the schema reads: the depth check let it through.
    expect(r.status).toBe(400);
    expect(String(((await r.json()) as Record<string, unknown>)['message'])).toContain('service');
  });
});

describe('numbers in query strings', () => {
  it.each(['0x10', '1e2', '', ' 16', '16.0', '-1'])(
    'when limit is %j, then the list is refused with 400 instead of reading it as a number some other way',
    async (limit) => {
      const r = await call(server.url, 'GET', `/api/v1/incidents?limit=${encodeURIComponent(limit)}`, {
        token: TOKENS.reader,
      });
      expect(r.status).toBe(400);
      expect(String(r.json['message'])).toContain('limit');
    },
  );

  it('when limit is written in decimal digits, then it is read', async () => {
    const r = await call(server.url, 'GET', '/api/v1/incidents?limit=16', { token: TOKENS.reader });
    expect(r.status).toBe(200);
  });
});
