import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionEffect, OtherStep, TargetSnapshot } from '../../src/actions/steps.js';
import { createHttpExecutor } from '../../src/remediation/http.js';

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
      } else if (req.url === '/busy') {
        res.writeHead(503).end('try later');
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

const executor = createHttpExecutor();
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

  it('when nothing listens, then the failure is retryable and names the URL', async () => {
    const step = call('/x', { url: 'http://127.0.0.1:1/x' });
    const err = await failureOf(apply(step, await snapshot(step, 'k')));
    expect((err as Error).message).toMatch(/^POST http:\/\/127\.0\.0\.1:1\/x failed: /);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
  });

  it('cannot be undone, and says so', async () => {
    const step = call('/maintenance/flush');
    const err = await failureOf(
      inActivity(() => executor.compensate(step, { action: 'http.call', idempotencyKey: 'k' })),
    );
    expect((err as ApplicationFailure).type).toBe('InvalidAction');
  });
});
