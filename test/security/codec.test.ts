import { execFile } from 'node:child_process';
import { testApp } from '../support/api-harness.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings, SettingsError, type Settings } from '../../src/config/settings.js';
import type { IncidentState } from '../../src/domain/incident.js';
import { buildReport } from '../../src/reports/index.js';
import {
  AesGcmCodec,
  CodecDecodeError,
  dataConverterFor,
  ENCRYPTED_ENCODING,
  isEncrypted,
  parseCodecKeys,
} from '../../src/temporal/codec.js';
import { ensureTemporalCli } from '../../scripts/lib/temporal-cli.mjs';
import { createClient } from '../../src/temporal/connection.js';
import { createIncidentWorker } from '../../src/temporal/worker.js';
import { alertsSignal } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { makeAlert, resolvedAlert, startIncident, waitForState } from '../support/scenario.js';
import { testClient, workflowBundle } from '../support/temporal.js';

const key = (): string => randomBytes(32).toString('base64');
const K1 = key();
const K2 = key();
const payload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const valueOf = (p: Payload | undefined): unknown => (p ? defaultPayloadConverter.fromPayload(p) : undefined);

describe('STEADFAST_CODEC_KEYS', () => {
  it('reads id:base64key pairs, the first encrypting', () => {
    const keys = parseCodecKeys(`k2:${K2}, k1:${K1}`);
    expect(keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(keys[0]?.key.length).toBe(32);
  });

  it.each([
    ['a key without an ID', K1, /key 1: write id:base64key/],
    ['a short key', `k1:${randomBytes(16).toString('base64')}`, /key k1: not 32 bytes/],
    ['a key that is not base64', `k1:${'!'.repeat(44)}`, /key k1: not 32 bytes/],
    ['an ID given twice', `k1:${K1},k1:${K2}`, /key k1: the ID is given twice/],
    ['an odd ID', `k 1:${K1}`, /key 1: write id:base64key/],
  ])('when it holds %s, then the settings refuse it without repeating any key', (_what, value, message) => {
    let err: unknown;
    try {
      loadSettings({ STEADFAST_CODEC_KEYS: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SettingsError);
    expect((err as Error).message).toMatch(message);
    for (const k of [K1, K2]) expect((err as Error).message).not.toContain(k);
  });
});

describe('the AES-256-GCM payload codec', () => {
  const marker = `alert-text-${randomBytes(6).toString('hex')}`;
  const oldCodec = new AesGcmCodec(parseCodecKeys(`k1:${K1}`));
  const rotated = new AesGcmCodec(parseCodecKeys(`k2:${K2},k1:${K1}`));
  const onlyNew = new AesGcmCodec(parseCodecKeys(`k2:${K2}`));

  it('seals each payload, metadata included, under the first key, and opens it again', async () => {
    const [sealed] = await oldCodec.encode([payload({ summary: marker })]);
    expect(sealed && isEncrypted(sealed)).toBe(true);
    expect(Buffer.from(sealed?.metadata?.['encryption-key-id'] ?? []).toString()).toBe('k1');
    expect(Buffer.from(sealed?.data ?? []).toString('latin1')).not.toContain(marker);
    expect(Buffer.from(sealed?.data ?? []).toString('latin1')).not.toContain('json/plain');
    const [opened] = await oldCodec.decode(sealed ? [sealed] : []);
    expect(valueOf(opened)).toEqual({ summary: marker });
  });

  it('when the keys rotate, then payloads sealed with the old key still open, and new ones use the new key', async () => {
    const [old] = await oldCodec.encode([payload(marker)]);
    const [opened] = await rotated.decode(old ? [old] : []);
    expect(valueOf(opened)).toBe(marker);
    const [fresh] = await rotated.encode([payload(marker)]);
    expect(Buffer.from(fresh?.metadata?.['encryption-key-id'] ?? []).toString()).toBe('k2');
  });

  it('when the old key is dropped too early, then its payloads fail to open, naming the key', async () => {
    const [old] = await oldCodec.encode([payload(marker)]);
    await expect(onlyNew.decode(old ? [old] : [])).rejects.toThrow(CodecDecodeError);
    await expect(onlyNew.decode(old ? [old] : [])).rejects.toThrow(
      /key "k1", which STEADFAST_CODEC_KEYS does not hold/,
    );
  });

  it('when a sealed payload is altered, or moved under another key ID, then it fails its authentication', async () => {
    const [sealed] = await rotated.encode([payload(marker)]);
    const data = Buffer.from(sealed?.data ?? []);
    data[20] = (data[20] ?? 0) ^ 1;
    await expect(rotated.decode([{ ...sealed, data }])).rejects.toThrow(/fails its authentication/);
    const moved = { ...sealed, metadata: { ...sealed?.metadata, 'encryption-key-id': Buffer.from('k1') } };
    await expect(rotated.decode([moved])).rejects.toThrow(/fails its authentication/);
  });

  it('when a payload was written without the codec, then it passes through as it is', async () => {
    const plain = payload({ summary: marker });
    expect(await rotated.decode([plain])).toEqual([plain]);
  });
});

describe('recorded histories (written without the codec) still replay with the codec on', () => {
  const dir = join(import.meta.dirname, '..', 'histories');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it.each(files)('%s', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    await Worker.runReplayHistory(
      { workflowBundle: await workflowBundle(), dataConverter: dataConverterFor(parseCodecKeys(`k1:${K1}`)) },
      history,
      file.replace(/\.json$/, ''),
    );
  });
});

/** Every Payload object anywhere in a history. */
function payloadsIn(node: unknown, out: Payload[] = []): Payload[] {
  if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return out;
  if (Array.isArray(node)) {
    for (const n of node) payloadsIn(n, out);
    return out;
  }
  if ('metadata' in node && 'data' in node) out.push(node as Payload);
  else for (const v of Object.values(node)) payloadsIn(v, out);
  return out;
}

describe('with the codec on, a real incident leaves no plaintext on the Temporal server', () => {
  const TASK_QUEUE = 'codec-scenarios';
  const marker = `summary-${randomBytes(6).toString('hex')}`;
  const token = randomBytes(24).toString('base64url');
  const hookPath = `/services/T0/B0/${randomBytes(12).toString('hex')}`;
  let service: Server;
  let base = '';
  const calls: { url: string; auth: string | undefined }[] = [];
  let settings: Settings;
  let sealed: Client;
  let raw: Client;
  let worker: Worker;
  let running: Promise<void>;
  let connection: NativeConnection;
  let api: RunningServer;
  let state: IncidentState;
  let rawHistory: History;
  const id = `incident-codec-${Date.now().toString(36)}`;
  const READ = 'reader-token-0123456789abcdef';
  const INGEST = 'ingest-token-0123456789abcdef';

  beforeAll(async () => {
    service = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls.push({ url: req.url ?? '', auth: req.headers.authorization });
        res.writeHead(req.url === hookPath ? 204 : 202).end('flushing');
      });
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
    process.env['TEST_CODEC_CACHE_TOKEN'] = token;
    process.env['TEST_CODEC_ONCALL_WEBHOOK'] = `${base}${hookPath}`;

    const dir = mkdtempSync(join(tmpdir(), 'steadfast-codec-'));
    const tokensFile = join(dir, 'tokens.yaml');
    writeFileSync(
      tokensFile,
      [
        'tokens:',
        `  - { identity: reader, roles: [read], token: ${READ} }`,
        `  - { identity: alertmanager, roles: [ingest], token: ${INGEST} }`,
      ].join('\n'),
    );
    settings = loadSettings({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      STEADFAST_CODEC_KEYS: `k1:${K1}`,
      STEADFAST_TOKENS_FILE: tokensFile,
      TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
    });
    sealed = await createClient(settings.temporal);
    raw = await testClient();
    const runbook = `title: Flush the cache
match: { alertnames: [CodecCachePressure] }
risk: low
approval:
  timeout: 1s
  escalation: [{ notify: [{ type: webhook, url: { secret: { env: TEST_CODEC_ONCALL_WEBHOOK } } }], wait: 1s }]
  finalPolicy: auto-approve
scope: { http: { hosts: ['${base.replace('http://', '')}'] } }
steps:
  - action: http.call
    url: ${base}/maintenance/flush
    headers: { Authorization: { prefix: 'Bearer ', secret: { env: TEST_CODEC_CACHE_TOKEN } } }
verify: { within: 20s, interval: 1s }
`;
    connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    worker = await createIncidentWorker({
      connection,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      activities: testActivities({ runbooks: { 'flush.yaml': runbook }, temporal: sealed }),
      workflowBundle: await workflowBundle(),
      dataConverter: dataConverterFor(settings.temporal.codecKeys),
    });
    running = worker.run();
    api = await listen(await testApp(settings, { client: sealed }), '127.0.0.1', 0);

    const alert = makeAlert({
      alertName: 'CodecCachePressure',
      labels: { service: 'cache' },
      annotations: { summary: marker },
    });
    const handle = await startIncident(sealed, TASK_QUEUE, id, [alert], { debounceMs: 200 });
    await waitForState(handle, (s) => s.actions.some((a) => a.status !== 'running'), 40_000);
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    state = await waitForState(handle, (s) => s.stage === 'closed', 40_000);
    rawHistory = await raw.workflow.getHandle(id).fetchHistory();
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    worker?.shutdown();
    await running;
    await connection?.close();
    await new Promise<void>((resolve) => service.close(() => resolve()));
  });

  it('ran the incident: the webhook and the call got their secrets from the environment', () => {
    expect(state.actions.map((a) => a.status)).toEqual(['done']);
    expect(calls).toContainEqual({ url: hookPath, auth: undefined });
    expect(calls).toContainEqual({ url: '/maintenance/flush', auth: `Bearer ${token}` });
  });

  it("the server's stored history holds every payload sealed, and none of the incident's text", () => {
    // A marker's details other than its `result` are the SDK's own bookkeeping, written plain by its core:
    // a patch's name, a local activity's type, sequence number and time. The result is ours, and sealed.
    // The search attribute TemporalChangeVersion is the SDK's bookkeeping too: the names of the patches a
    // run took, upserted by each workflow task that took a new one.
    const bookkeeping = new Set(
      (rawHistory.events ?? []).flatMap((e) => [
        ...Object.entries(e.markerRecordedEventAttributes?.details ?? {})
          .filter(([key]) => key !== 'result')
          .flatMap(([, value]) => value.payloads ?? []),
        ...Object.entries(
          e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {},
        )
          .filter(([key]) => key === 'TemporalChangeVersion')
          .map(([, value]) => value),
      ]),
    );
    const payloads = payloadsIn(rawHistory.events).filter((p) => !bookkeeping.has(p));
    expect(payloads.length).toBeGreaterThan(10);
    const notSealed = payloads.filter((p) => !isEncrypted(p));
    // Search attributes are for the server to read and index; they are the only payloads left open.
    for (const p of notSealed)
      expect(Buffer.from(p.metadata?.['encoding'] ?? []).toString()).toBe('json/plain');
    expect(notSealed.length).toBeLessThan(payloads.length / 2);
    const text = historyToJSON(rawHistory);
    for (const secretText of [
      marker,
      token,
      hookPath,
      'TEST_CODEC_CACHE_TOKEN',
      'TEST_CODEC_ONCALL_WEBHOOK',
      'Authorization',
    ]) {
      expect(text).not.toContain(secretText);
      expect(text).not.toContain(Buffer.from(secretText).toString('base64').slice(0, 12));
    }
    expect(text).toContain(Buffer.from(ENCRYPTED_ENCODING).toString('base64'));
  });

  it('a client with the codec reads the incident, its plan naming the secrets and never holding them', async () => {
    expect(state.alerts[0]?.annotations['summary']).toBe(marker);
    const planText = JSON.stringify(state.recommendation);
    expect(planText).toContain('TEST_CODEC_CACHE_TOKEN');
    expect(planText).toContain('TEST_CODEC_ONCALL_WEBHOOK');
    expect(JSON.stringify(state)).not.toContain(token);
    expect(JSON.stringify(state)).not.toContain(hookPath);
    const report = await buildReport({ state, temporal: sealed, workflowUrl: 'http://ui' });
    // The audit's signal entry is read from the opened history.
    expect(report).toContain('1 alert');
    expect(report).not.toContain(token);
  });

  describe('the codec endpoint for the Web UI and the CLI', () => {
    const call = (path: string, init: RequestInit & { token?: string } = {}): Promise<Response> =>
      fetch(`${api.url}/api/v1/codec/${path}`, {
        method: 'POST',
        ...init,
        headers: {
          'content-type': 'application/json',
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
      });
    const sealedBody = (): string => {
      const first = payloadsIn(rawHistory.events).find(isEncrypted);
      return JSON.stringify({
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(first?.metadata ?? {}).map(([k, v]) => [
                k,
                Buffer.from(v ?? []).toString('base64'),
              ]),
            ),
            data: Buffer.from(first?.data ?? []).toString('base64'),
          },
        ],
      });
    };

    it('opens sealed payloads for a token with the read role', async () => {
      const res = await call('decode', {
        token: READ,
        body: sealedBody(),
        headers: { 'x-namespace': 'default' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
      const opened = body.payloads[0];
      expect(Buffer.from(opened?.metadata['encoding'] ?? '', 'base64').toString()).toBe('json/plain');
      expect(Buffer.from(opened?.data ?? '', 'base64').toString()).toContain('"incidentId"');
    });

    it('refuses without a token, with a token lacking the read role, and for another namespace', async () => {
      expect((await call('decode', { body: sealedBody() })).status).toBe(401);
      expect((await call('decode', { token: INGEST, body: sealedBody() })).status).toBe(403);
      const other = await call('decode', {
        token: READ,
        body: sealedBody(),
        headers: { 'x-namespace': 'prod' },
      });
      expect(other.status).toBe(400);
      const bad = await call('decode', { token: READ, body: '{"payloads":[{"data":"%%%"}]}' });
      expect(bad.status).toBe(400);
    });

    it('refuses a body nested deeper than any payload before parsing it, as the rest of the API does', async () => {
      const depth = 500_000;
      const res = await call('decode', {
        token: READ,
        body: `{"payloads":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      });
      expect(res.status).toBe(400);
      expect(String(((await res.json()) as Record<string, unknown>)['message'])).toContain(
        'deeper than 32 levels',
      );
    });

    it('encodes, so payloads the UI sends are sealed like the workers’', async () => {
      const res = await call('encode', {
        token: READ,
        body: JSON.stringify({
          payloads: [{ metadata: { encoding: btoa('json/plain') }, data: btoa('"x"') }],
        }),
      });
      const body = (await res.json()) as { payloads: { metadata: Record<string, string> }[] };
      expect(atob(body.payloads[0]?.metadata['encoding'] ?? '')).toBe(ENCRYPTED_ENCODING);
    });

    it('answers CORS for the Web UI origin only', async () => {
      const preflight = (origin: string): Promise<Response> =>
        fetch(`${api.url}/api/v1/codec/decode`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization,content-type,x-namespace',
          },
        });
      const ui = await preflight('http://127.0.0.1:8233');
      expect(ui.status).toBe(204);
      expect(ui.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
      expect(ui.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
      const evil = await preflight('https://evil.example');
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      const read = await call('decode', {
        token: READ,
        body: sealedBody(),
        headers: { origin: 'https://evil.example' },
      });
      expect(read.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('lets `temporal workflow show --codec-endpoint` show the incident in the clear', async () => {
      const cli = ensureTemporalCli();
      const show = (extra: string[]): Promise<string> =>
        promisify(execFile)(cli, [
          'workflow',
          'show',
          '--address',
          inject('temporalAddress'),
          '--workflow-id',
          id,
          '--output',
          'json',
          ...extra,
        ]).then((r) => r.stdout);
      // The CLI prints payloads as proto JSON: each data field is base64.
      const readable = (out: string): string =>
        payloadsIn(JSON.parse(out))
          .map((p) => Buffer.from(String(p.data ?? ''), 'base64').toString())
          .join('\n');
      expect(readable(await show([]))).not.toContain(marker);
      const shown = readable(
        await show(['--codec-endpoint', `${api.url}/api/v1/codec`, '--codec-auth', `Bearer ${READ}`]),
      );
      expect(shown).toContain(marker);
      expect(shown).toContain('TEST_CODEC_CACHE_TOKEN');
      expect(shown).not.toContain(token);
    });
  });

  it('after the keys rotate, the sealed history still replays; with the old key dropped, it cannot', async () => {
    const replay = async (keys: string): Promise<void> =>
      Worker.runReplayHistory(
        { workflowBundle: await workflowBundle(), dataConverter: dataConverterFor(parseCodecKeys(keys)) },
        rawHistory,
        id,
      );
    await replay(`k2:${K2},k1:${K1}`);
    await expect(replay(`k2:${K2}`)).rejects.toThrow();
  });
});
