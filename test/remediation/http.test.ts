import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivityCancellationDetails, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionEffect, OtherStep, TargetSnapshot } from '../../src/actions/steps.js';
import { createRemediationActivities } from '../../src/activities/remediation.js';
import { actionRunner } from '../../src/remediation/handler.js';
import { httpRunner, MAX_BODY_BYTES } from '../../src/remediation/http.js';
import { waitHandlers } from '../../src/remediation/wait.js';

type HttpCall = Extract<OtherStep, { action: 'http.call' }>;

/**
 * A service's maintenance endpoint that honours Idempotency-Key as a well-behaved service would: the
 * same key runs the maintenance once. It records every request it sees.
 */
let server: Server;
let base = '';
const seen: {
  method: string;
  url: string;
  key: string | undefined;
  body: string;
  auth: string | undefined;
}[] = [];
const flushedKeys = new Set<string>();
/** What the endless endpoint managed to write before the caller hung up, and whether it did. */
const endless = { written: 0, closed: false };

const read = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => resolve(body));
  });

beforeAll(async () => {
  server = createServer((req, res) => {
    void read(req).then((body) => {
      const key = req.headers['idempotency-key'] as string | undefined;
      seen.push({ method: req.method ?? '', url: req.url ?? '', key, body, auth: req.headers.authorization });
      if (req.url === '/maintenance/flush') {
        const first = key !== undefined && !flushedKeys.has(key);
        if (key) flushedKeys.add(key);
        res.writeHead(first ? 202 : 200).end(first ? 'flushing 42 entries' : 'already flushed');
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: `${base}/maintenance/flush` }).end();
      } else if (req.url === '/slow') {
        // A service that takes its time: the answer comes after several heartbeat intervals.
        setTimeout(() => res.writeHead(204).end(), 11_000);
      } else if (req.url === '/busy') {
        res.writeHead(503).end('try later');
      } else if (req.url?.startsWith('/echo')) {
        // A careless service that quotes the request's headers back, credentials included.
        const status = req.url === '/echo-404' ? 404 : 200;
        const pad = req.url === '/echo-cut' ? 'p'.repeat(160) : '';
        res.writeHead(status).end(`${pad}you sent authorization=${req.headers.authorization ?? ''} ok`);
      } else if (req.url === '/endless') {
        endless.written = 0;
        endless.closed = false;
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        const pump = (): void => {
          while (!endless.closed && endless.written < 1024 ** 3) {
            endless.written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        res.on('close', () => (endless.closed = true));
        pump();
      } else {
        res.writeHead(404).end('no such endpoint');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.length = 0;
});

const executor = httpRunner();
const inActivity = <R>(fn: () => Promise<R>): Promise<R> =>
  new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn);
const call = (path: string, over: Partial<HttpCall> = {}): HttpCall => ({
  action: 'http.call',
  method: 'POST',
  url: `${base}${path}`,
  headers: {},
  expectStatus: [200, 202, 204],
  timeoutMs: 5000,
  ...over,
});
const snapshot = (step: HttpCall, key: string): Promise<TargetSnapshot> =>
  inActivity(() => executor.snapshot(step, key));
const apply = (step: HttpCall, snap: TargetSnapshot): Promise<ActionEffect> =>
  inActivity(() => executor.apply(step, snap));
const failureOf = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('http.call on a real HTTP server', () => {
  it('when the step is retried, then it sends the same Idempotency-Key, so the service flushes once', async () => {
    const step = call('/maintenance/flush', {
      headers: { Authorization: 'Bearer maint' },
      body: '{"scope":"all"}',
    });
    const snap = await snapshot(step, 'incident-x/0/2');
    const first = await apply(step, snap);
    const retried = await apply(step, snap);
    expect(first.summary).toBe(`POST ${base}/maintenance/flush answered 202: flushing 42 entries`);
    expect(retried.summary).toContain('answered 200: already flushed');
    expect(seen.map((s) => s.key)).toEqual(['incident-x/0/2', 'incident-x/0/2']);
    expect(seen[0]).toMatchObject({ method: 'POST', body: '{"scope":"all"}', auth: 'Bearer maint' });
  });

  it('when the service answers a status the runbook does not expect, then the step fails for good, with the answer', async () => {
    const step = call('/no-such');
    const err = await failureOf(apply(step, await snapshot(step, 'k')));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).type).toBe('UnexpectedStatus');
    expect((err as ApplicationFailure).message).toBe(
      `POST ${base}/no-such answered 404, expected 200 or 202 or 204: no such endpoint`,
    );
  });

  it('when the service is overloaded, then the failure is left to the retry policy', async () => {
    const step = call('/busy');
    const err = await failureOf(apply(step, await snapshot(step, 'k')));
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect((err as Error).message).toContain('answered 503');
  });

  it('when the service redirects, then the call is not followed elsewhere', async () => {
    const step = call('/redirect');
    const err = await failureOf(apply(step, await snapshot(step, 'k')));
    expect((err as ApplicationFailure).type).toBe('UnexpectedStatus');
    expect(seen.map((s) => s.url)).toEqual(['/redirect']);
  });

  it('when the plan pinned its host to the addresses it was checked with, then the call connects there, whatever DNS answers now', async () => {
    const port = (server.address() as AddressInfo).port;
    // A name no DNS here knows: reached only through the pinned address, with the name as its Host.
    const pinned = call('/maintenance/flush', {
      url: `http://cache.steadfast-test.invalid:${port}/maintenance/flush`,
      addresses: ['127.0.0.1'],
    });
    const effect = await apply(pinned, await snapshot(pinned, 'pinned-1'));
    expect(effect.summary).toContain('answered 202');
    expect(seen.map((s) => s.url)).toEqual(['/maintenance/flush']);

    // localhost resolves to where the server listens, but the plan was checked with another address:
    // the call goes there (nothing listens on 127.0.0.2) and never to what the name resolves to now.
    const moved = call('/maintenance/flush', {
      url: `http://localhost:${port}/maintenance/flush`,
      addresses: ['127.0.0.2'],
    });
    const err = await failureOf(apply(moved, await snapshot(moved, 'pinned-2')));
    expect((err as Error).message).toContain(`POST http://localhost:${port}/maintenance/flush failed`);
    expect(seen).toHaveLength(1);
  });

  it('when nothing listens, then the failure is retryable and names the URL', async () => {
    const step = call('/x', { url: 'http://127.0.0.1:1/x' });
    const err = await failureOf(apply(step, await snapshot(step, 'k')));
    expect((err as Error).message).toMatch(/^POST http:\/\/127\.0\.0\.1:1\/x failed: /);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
  });

  it('when the answer never ends, then only its first bytes are read and the rest is cancelled', async () => {
    const step = call('/endless', { timeoutMs: 20_000 });
    const started = Date.now();
    const effect = await apply(step, await snapshot(step, 'k'));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(effect.summary).toBe(`POST ${base}/endless answered 200: ${'a'.repeat(200)}`);
    await expect.poll(() => endless.closed, { timeout: 5000 }).toBe(true);
    // What the server wrote fills socket buffers at most, never the gigabyte it had to send.
    expect(endless.written).toBeLessThan(64 * 1024 * 1024);
    expect(MAX_BODY_BYTES).toBeLessThanOrEqual(1024);
  });

  it('cannot be undone, and says so', async () => {
    const step = call('/maintenance/flush');
    const err = await failureOf(
      inActivity(() => executor.compensate(step, { action: 'http.call', idempotencyKey: 'k' })),
    );
    expect((err as ApplicationFailure).type).toBe('InvalidAction');
  });
});

describe('http.call headers that name a secret', () => {
  const token = randomBytes(24).toString('base64url');
  const env = { CACHE_TOKEN: token, BROKEN: 'line\r\nX-Injected: 1' };
  const secretExecutor = httpRunner({ secrets: { env } });
  const applyWith = (step: HttpCall): Promise<ActionEffect> =>
    inActivity(async () => secretExecutor.apply(step, await secretExecutor.snapshot(step, 'k')));
  const bearer = { Authorization: { prefix: 'Bearer ', secret: { env: 'CACHE_TOKEN' } } };

  it('when the header names an environment variable, then the call carries its value and the step only its name', async () => {
    const step = call('/maintenance/flush', { headers: bearer });
    await applyWith(step);
    expect(seen[0]?.auth).toBe(`Bearer ${token}`);
    expect(JSON.stringify(step)).not.toContain(token);
  });

  it('when the header names a file, then the call carries its content without the trailing newline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-secret-'));
    writeFileSync(join(dir, 'token'), `${token}\n`);
    await applyWith(
      call('/maintenance/flush', { headers: { Authorization: { secret: { file: join(dir, 'token') } } } }),
    );
    expect(seen[0]?.auth).toBe(token);
  });

  it('when the secret is missing, then the step fails for good, naming the reference, and nothing is called', async () => {
    const err = await failureOf(
      applyWith(
        call('/maintenance/flush', { headers: { Authorization: { secret: { env: 'NOT_SET_ANYWHERE' } } } }),
      ),
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).type).toBe('SecretUnavailable');
    expect((err as ApplicationFailure).message).toBe('secret env:NOT_SET_ANYWHERE is not set');
    expect(seen).toEqual([]);
  });

  it('when the secret holds a line break, then nothing is called and the error does not quote it', async () => {
    const err = await failureOf(
      applyWith(call('/maintenance/flush', { headers: { 'X-Token': { secret: { env: 'BROKEN' } } } })),
    );
    expect((err as ApplicationFailure).type).toBe('SecretUnavailable');
    expect((err as Error).message).not.toContain('X-Injected');
    expect(seen).toEqual([]);
  });

  it.each([
    ['/echo', 'its answer'],
    ['/echo-404', 'its refusal'],
    ['/echo-cut', 'its answer, cut where the secret begins'],
  ])(
    'when the service quotes the secret back in %s, then the timeline gets the reference, not the value (%s)',
    async (path) => {
      const result = await applyWith(call(path, { headers: bearer, expectStatus: [200] })).then(
        (effect) => effect.summary,
        (err: unknown) => (err as Error).message,
      );
      expect(result).toContain('you sent authorization=Bearer');
      expect(result).not.toContain(token.slice(0, 8));
      if (path !== '/echo-cut') expect(result).toContain('[secret env:CACHE_TOKEN]');
    },
  );

  it('when the call cannot connect, then the error holds no secret', async () => {
    const err = await failureOf(applyWith(call('/x', { url: 'http://127.0.0.1:1/x', headers: bearer })));
    expect((err as Error).message).toMatch(/^POST http:\/\/127\.0\.0\.1:1\/x failed: /);
    expect((err as Error).message).not.toContain(token);
  });
});

describe('a slow answer', () => {
  it('keeps the activity beating while it waits, so a live call is never taken for a dead one', async () => {
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const step = call('/slow', { timeoutMs: 20_000 });
    const apply = (): Promise<ActionEffect> =>
      executor.apply(step, { action: 'http.call', idempotencyKey: 'slow' });
    const effect = await env.run<[], ActionEffect, typeof apply>(apply);
    expect(effect.summary).toContain('answered 204');
    // One beat as the call starts, then one every 5 s of the 11 s it takes.
    expect(beats).toBeGreaterThanOrEqual(3);
    expect(seen.filter((r) => r.url === '/slow')).toHaveLength(1);
  }, 30_000);
});

describe('a step whose activity is asked to stop', () => {
  const activities = createRemediationActivities(httpRunner());
  // A function: the server's address is known only once beforeAll has run.
  const request = (step = call('/slow', { timeoutMs: 60_000 })) => ({
    step,
    snapshot: { action: 'http.call' as const, idempotencyKey: 'stop' },
  });
  /** Runs the apply activity against /slow (11 s), asks it to stop after 300 ms, and times the end. */
  async function stopped(how: 'incident' | 'worker'): Promise<{ error: unknown; ms: number }> {
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const started = Date.now();
    const running = failureOf(env.run(() => activities.applyAction(request())));
    await new Promise((r) => setTimeout(r, 300));
    if (how === 'incident')
      env.cancel('CANCELLED', new ActivityCancellationDetails({ cancelRequested: true }));
    else env.cancel('WORKER_SHUTDOWN', new ActivityCancellationDetails({ workerShutdown: true }));
    const error = await running;
    return { error, ms: Date.now() - started };
  }

  it('when the incident cancels it, then the call is abandoned at once and the step ends as cancelled', async () => {
    const { error, ms } = await stopped('incident');
    expect(error).toBeInstanceOf(CancelledFailure);
    expect(ms).toBeLessThan(5_000); // not the service's 11 s, nor the step's 60 s timeout
    expect(seen.filter((r) => r.url === '/slow')).toHaveLength(1);
  }, 20_000);

  it('when the worker stops under it, then the step fails as retryable, so that another worker takes it at once', async () => {
    const { error, ms } = await stopped('worker');
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'WorkerStopped', nonRetryable: false });
    expect((error as Error).message).toContain(`the worker stopped during call POST ${base}/slow`);
    expect(ms).toBeLessThan(5_000);
  }, 20_000);

  it('when the worker stops during a wait, then the wait too is handed over, its deadline kept in its heartbeat', async () => {
    const waits = createRemediationActivities(actionRunner(waitHandlers));
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const running = failureOf(
      env.run(() =>
        waits.applyAction({ step: { action: 'wait', ms: 60_000 }, snapshot: { action: 'wait' } }),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    env.cancel('WORKER_SHUTDOWN', new ActivityCancellationDetails({ workerShutdown: true }));
    expect(await running).toMatchObject({ type: 'WorkerStopped', nonRetryable: false });
    expect(beats.at(-1)).toBeGreaterThan(Date.now() + 50_000);
  }, 20_000);

  it('when a step fails for its own reason while the worker stops, then that failure stands', async () => {
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    env.cancel('WORKER_SHUTDOWN', new ActivityCancellationDetails({ workerShutdown: true }));
    const missing = { Authorization: { secret: { env: 'NOT_SET_ANYWHERE' } } };
    const error = await failureOf(
      env.run(() => activities.applyAction(request(call('/slow', { headers: missing })))),
    );
    expect(error).toMatchObject({ type: 'SecretUnavailable', nonRetryable: true });
  });
});
