/**
 * What Node itself refuses before the API sees a request: each is answered, as every refusal is, with a
 * JSON error (test/security/fuzz-edges.test.ts found them without one). Raw sockets, since an HTTP client
 * will not write these requests; Temporal is not needed, so the API's is a closed port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server.js';
import { startOfflineApi } from '../support/api-harness.js';
import { rawAnswers, sendRaw } from './support/fuzz-http.js';

const TOKEN = 'http-edges-token-0123456789abcdef';
let api: RunningServer;

beforeAll(async () => {
  api = await startOfflineApi({ STEADFAST_API_TOKEN: TOKEN });
});

afterAll(async () => {
  await api?.close();
});

/** The one answer to `text`, sent on its own connection. */
async function answer(text: string) {
  const { text: reply, closed } = await sendRaw(api.port, Buffer.from(text, 'latin1'));
  expect(closed, 'the server closes the connection').toBe(true);
  const [first, ...more] = rawAnswers(reply);
  expect(more).toEqual([]);
  if (!first) throw new Error(`no answer: ${JSON.stringify(reply)}`);
  const json = JSON.parse(first.body.replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, '')) as Record<
    string,
    unknown
  >;
  return { status: first.status, head: first.head.toLowerCase(), json };
}

describe("Node's own refusals", () => {
  it.each([
    {
      what: 'has no Host header',
      text: 'GET /api/v1/health HTTP/1.1\r\n\r\n',
      status: 400,
      error: 'BadRequest',
      message: /must send a Host header/,
    },
    {
      what: 'is not HTTP',
      text: 'GARBAGE\r\n\r\n',
      status: 400,
      error: 'BadRequest',
      message: /not valid HTTP\/1\.1 \(Invalid method encountered\)/,
    },
    {
      what: 'has both Content-Length and Transfer-Encoding',
      text: 'POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      status: 400,
      error: 'BadRequest',
      message: /not valid HTTP/,
    },
    {
      what: 'has a head past 16 KiB',
      text: `GET /api/v1/health?${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      status: 431,
      error: 'HeadersTooLarge',
      message: /larger than 16384 bytes/,
    },
    {
      what: 'expects other than 100-continue',
      text: 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nExpect: evil\r\n\r\n',
      status: 417,
      error: 'ExpectationFailed',
      message: /100-continue/,
    },
    {
      what: 'is a CONNECT',
      text: 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n',
      status: 405,
      error: 'MethodNotAllowed',
      message: /CONNECT/,
    },
  ])('when a request $what, then it gets a JSON $status', async ({ text, status, error, message }) => {
    const r = await answer(text);
    expect(r.status).toBe(status);
    expect(r.head).toContain('content-type: application/json');
    expect(r.json).toEqual({ error, message: expect.stringMatching(message) as unknown });
  });

  it('when an HTTP/1.0 request has no Host, then it is served: only HTTP/1.1 asks for one', async () => {
    const r = await answer('GET /api/v1/openapi.json HTTP/1.0\r\n\r\n');
    expect(r.status).toBe(200);
  });

  it('when bytes that are not HTTP follow a whole request, then it gets its own answer (503 here: no Temporal), not a 400 over it', async () => {
    const r = await answer(
      `DELETE /api/v1/rules/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\nGARBAGE\r\n\r\n`,
    );
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ error: 'TemporalUnavailable' });
  });

  it('when bytes that are not HTTP follow a refused expectation, then its 417 is the one answer', async () => {
    const r = await answer('GET /api/v1/health HTTP/1.1\r\nHost: x\r\nExpect: evil\r\n\r\nGARBAGE\r\n\r\n');
    expect(r.status).toBe(417);
    expect(r.json).toMatchObject({ error: 'ExpectationFailed' });
  });
});
