/**
 * GET /api/v1/oncall on the real app: who is on call and next in every rotation of a real on-call file
 * (a simple one with an override, one from an iCalendar file), at a given instant or now, one rotation or
 * all; each answer checked against the OpenAPI document. The endpoint does not touch Temporal, so the API
 * runs against one that cannot be reached.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server.js';
import { startOfflineApi } from '../support/api-harness.js';
import { resolvable, schemaValidator, withComponents } from '../support/openapi.js';

const TOKEN = 'oncall-api-token-0123456789abcdef';
const example = join(import.meta.dirname, '..', '..', 'oncall');

const ajv = schemaValidator({ strict: true });
const doc = withComponents(ajv);

let configured: RunningServer;
let unconfigured: RunningServer;
let dir = '';

async function get(server: RunningServer, query = '', token = TOKEN) {
  const r = await fetch(`${server.url}/api/v1/oncall${query}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const json = (await r.json()) as Record<string, unknown>;
  const schema =
    doc.paths['/api/v1/oncall']?.['get']?.responses[String(r.status)]?.content?.['application/json']?.schema;
  expect(schema, `GET /api/v1/oncall answered ${r.status}, which the document does not list`).toBeDefined();
  const validate = ajv.compile(resolvable(schema));
  expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
  return { status: r.status, json };
}

beforeAll(async () => {
  // The shipped example, copied so that a test may change it.
  dir = mkdtempSync(join(tmpdir(), 'steadfast-oncall-api-'));
  writeFileSync(join(dir, 'oncall.yaml'), readFileSync(join(example, 'oncall.example.yaml')));
  writeFileSync(join(dir, 'secondary.example.ics'), readFileSync(join(example, 'secondary.example.ics')));
  configured = await startOfflineApi({
    STEADFAST_API_TOKEN: TOKEN,
    STEADFAST_ONCALL_FILE: join(dir, 'oncall.yaml'),
  });
  unconfigured = await startOfflineApi({ STEADFAST_API_TOKEN: TOKEN });
});

afterAll(async () => {
  await configured?.close();
  await unconfigured?.close();
});

describe('GET /api/v1/oncall', () => {
  it('when asked at an instant, then every rotation says who is on call, since and until when, and who is next', async () => {
    const { status, json } = await get(configured, '?at=2026-12-25T12:00:00Z');

    expect(status).toBe(200);
    expect(json).toEqual({
      at: '2026-12-25T12:00:00.000Z',
      configured: true,
      rotations: [
        {
          rotation: 'primary',
          timezone: 'Europe/Berlin',
          source: 'shifts',
          current: {
            person: { name: 'Dan', slack: 'U0123DANNY', email: 'dan@example.com' },
            since: '2026-12-24T08:00:00.000Z',
            until: '2026-12-27T08:00:00.000Z',
            override: { reason: 'covers the holidays for Bob' },
          },
          next: { person: { name: 'Bob', slack: 'U0123BOBBY' }, from: '2026-12-27T08:00:00.000Z' },
        },
        {
          rotation: 'secondary',
          timezone: 'Europe/Berlin',
          source: 'ical',
          current: {
            person: { name: 'Alice', slack: 'U0123ALICE', email: 'alice@example.com' },
            since: '2026-12-21T08:00:00.000Z',
            until: '2026-12-28T08:00:00.000Z',
          },
          next: {
            person: { name: 'Dan', slack: 'U0123DANNY', email: 'dan@example.com' },
            from: '2026-12-28T08:00:00.000Z',
          },
        },
      ],
    });
  });

  it('when one rotation is asked for, then only it is answered; an unknown one is 404', async () => {
    const one = await get(configured, '?rotation=secondary&at=2026-11-03T12:00:00%2B01:00');
    expect((one.json['rotations'] as { rotation: string }[]).map((r) => r.rotation)).toEqual(['secondary']);
    expect(one.json['at']).toBe('2026-11-03T11:00:00.000Z');

    const unknown = await get(configured, '?rotation=tertiary');
    expect(unknown.status).toBe(404);
    expect(unknown.json['error']).toBe('UnknownRotation');
  });

  it('when no instant is given, then the answer is for now', async () => {
    const before = Date.now();
    const { json } = await get(configured);
    const at = Date.parse(String(json['at']));
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('when the query is not understood, then it is refused with 400 and says why', async () => {
    const bad = await get(configured, '?at=tomorrow');
    expect(bad.status).toBe(400);
    expect(bad.json['message']).toContain('at: an RFC 3339 time');
    expect((await get(configured, '?who=me')).status).toBe(400);
  });

  it('when the instant is more than a year from now, then it is refused at once: the calendar is never walked that far', async () => {
    for (const at of ['9999-12-31T23:59:59Z', '1970-01-01T00:00:00Z']) {
      const began = Date.now();
      const far = await get(configured, `?rotation=secondary&at=${at}`);
      expect(far.status, at).toBe(400);
      expect(far.json['message']).toContain('at: within a year of now');
      expect(Date.now() - began).toBeLessThan(1000);
    }
  });

  it('when the caller has no token, then it is refused', async () => {
    expect((await get(configured, '', '')).status).toBe(401);
  });

  it('when the file changes, then the next answer reads it again', async () => {
    const file = join(dir, 'oncall.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('members: [Alice, Bob, Carol]', 'members: [Carol, Alice, Bob]'));
    try {
      const { json } = await get(configured, '?rotation=primary&at=2026-11-04T12:00:00Z');
      const [primary] = json['rotations'] as { current: { person: { name: string } } }[];
      expect(primary?.current.person.name).toBe('Carol');
    } finally {
      writeFileSync(file, text);
    }
  });

  it('when no on-call file is configured, then the answer says so with no rotations', async () => {
    const { status, json } = await get(unconfigured, '?at=2026-12-25T12:00:00Z');
    expect(status).toBe(200);
    expect(json).toEqual({ at: '2026-12-25T12:00:00.000Z', configured: false, rotations: [] });
  });
});
