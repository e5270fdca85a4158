/**
 * The alert-level API on a real Temporal server: real incidents, opened through the API, hold the alerts
 * that GET /api/v1/alerts lists and GET /api/v1/alerts/:fingerprint finds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/incident.js';
import { incidentWorkflow } from '../../src/workflows/incident.js';
import { SA } from '../../src/workflows/search-attributes.js';
import { incidentIdOf, startApiHarness, TOKENS, type ApiHarness } from '../support/api-harness.js';

interface HeldAlert {
  fingerprint: string;
  status: 'firing' | 'resolved';
  incidentId: string;
  incidentStatus: string;
  temporalUrl: string;
  startsAt: string;
  endsAt?: string;
}

const run = Date.now().toString(36);
const svcA = `alerts-a-${run}`;
const svcB = `alerts-b-${run}`;
const fp = (name: string) => `fp:${name}:${run}`;
const startsAt = new Date(Date.now() - 60_000).toISOString();

let api: ApiHarness;
const ids = { a: '', b: '', c: '' };
let resolvedAt = '';

const alert = (
  alertname: string,
  service: string,
  key: string,
  status: 'firing' | 'resolved' = 'firing',
) => ({
  title: `${alertname} on ${service}`,
  severity: 'warning',
  service,
  labels: { alertname, instance: key },
  status,
  startsAt,
  dedupKey: fp(key),
});

/**
 * One page, asked again (as a careful client does) while it names incidents no worker answered in time:
 * on a loaded machine a query can miss the API's deadline, and the page then says so in `unanswered`
 * rather than holding those incidents' alerts.
 */
const list = async (query: string, token = TOKENS.viewer, { patient = true } = {}) => {
  for (let attempt = 1; ; attempt++) {
    const r = await api.call('GET', `/api/v1/alerts?${query}`, { token });
    const unanswered = (r.json['unanswered'] ?? []) as string[];
    if (patient && unanswered.length > 0 && attempt < 10) {
      // The worker is busy: give it a moment rather than asking again at once.
      await new Promise((r) => setTimeout(r, 300 * attempt));
      continue;
    }
    return {
      ...r,
      alerts: (r.json['alerts'] ?? []) as HeldAlert[],
      next: r.json['nextCursor'] as string | null,
      unanswered,
    };
  }
};
const fingerprints = (alerts: HeldAlert[]) => alerts.map((a) => a.fingerprint).sort();

beforeAll(async () => {
  api = await startApiHarness({ taskQueue: 'alerts-api-tests', runbooks: {} });
  const post = (body: unknown) => api.call('POST', '/api/v1/alerts', { token: TOKENS.alice, body });
  ids.a = await incidentIdOf(
    await post([alert('AlertsTestA', svcA, 'a1'), alert('AlertsTestA', svcA, 'a2')]),
  );
  ids.b = await incidentIdOf(await post(alert('AlertsTestB', svcA, 'b1')));
  ids.c = await incidentIdOf(await post(alert('AlertsTestA', svcB, 'c1')));
  await api.waitFor(ids.a, (s) => s.alerts.length === 2);
  await api.waitFor(ids.c, (s) => s.alerts.length === 1);
  await api.waitFor(ids.b, (s) => s.alerts.length === 1);
  await post(alert('AlertsTestB', svcA, 'b1', 'resolved'));
  const b: IncidentState = await api.waitFor(ids.b, (s) => s.alerts[0]?.status === 'resolved');
  resolvedAt = b.alerts[0]?.endsAt ?? '';
  // B closes once its only alert resolved. Listings put open incidents first, so B closing while a test
  // pages would move it under the cursor: wait for it to have closed, in visibility too.
  await api.client.workflow.getHandle(ids.b).result();
  // Visibility knows each incident's service once its search attributes are written.
  for (const [service, count, status] of [
    [svcA, 2, ''],
    [svcB, 1, ''],
    [svcA, 1, '&status=closed'],
  ] as const) {
    for (let i = 0; ; i++) {
      const r = await api.call('GET', `/api/v1/incidents?service=${service}${status}`, {
        token: TOKENS.viewer,
      });
      if ((r.json['incidents'] as unknown[]).length === count) break;
      if (i > 100) throw new Error(`visibility never listed ${count} incidents of ${service}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

describe('GET /api/v1/alerts', () => {
  it("lists a service's alerts, each with the incident that holds it", async () => {
    const r = await list(`service=${svcA}`);
    expect(r.status).toBe(200);
    expect(fingerprints(r.alerts)).toEqual([fp('a1'), fp('a2'), fp('b1')]);
    const byFp = new Map(r.alerts.map((a) => [a.fingerprint, a]));
    expect(byFp.get(fp('a1'))?.incidentId).toBe(ids.a);
    expect(byFp.get(fp('b1'))?.incidentId).toBe(ids.b);
    expect(byFp.get(fp('a1'))?.temporalUrl).toContain(encodeURIComponent(ids.a));
    expect(r.next).toBeNull();
    // The alert as the incident holds it: the same record GET /incidents/:id shows.
    const held = (await api.state(ids.a)).alerts.find((a) => a.fingerprint === fp('a1'));
    expect(byFp.get(fp('a1'))).toMatchObject(held ?? { missing: true });
  });

  it('filters by status', async () => {
    expect(fingerprints((await list(`service=${svcA}&status=firing`)).alerts)).toEqual([fp('a1'), fp('a2')]);
    const resolved = await list(`service=${svcA}&status=resolved`);
    expect(fingerprints(resolved.alerts)).toEqual([fp('b1')]);
    expect(resolved.alerts[0]?.endsAt).toBe(resolvedAt);
  });

  it('with since, leaves out alerts that started and ended before it; firing ones are active still', async () => {
    const after = new Date(Date.parse(resolvedAt) + 1).toISOString();
    expect(fingerprints((await list(`service=${svcA}&since=${after}`)).alerts)).toEqual([fp('a1'), fp('a2')]);
    const before = new Date(Date.parse(startsAt) - 1).toISOString();
    expect(fingerprints((await list(`service=${svcA}&since=${before}`)).alerts)).toHaveLength(3);
  });

  it('pages with a cursor: every alert once, then null', async () => {
    const whole = fingerprints((await list(`service=${svcA}`)).alerts);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`service=${svcA}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.alerts.length).toBeLessThanOrEqual(1);
      seen.push(...page.alerts.map((a) => a.fingerprint));
      cursor = page.next;
      pages++;
    } while (cursor && pages < 10);
    expect(cursor).toBeNull();
    expect(seen.sort()).toEqual(whole);
  });

  it('refuses bad filters with a 400 that names them, and callers without a token', async () => {
    const cases: [string, RegExp][] = [
      ['status=open', /status/],
      ['since=yesterday', /since: an RFC 3339 time/],
      ['limit=0', /limit/],
      ['limit=501', /limit/],
      ['fingerprint=x', /fingerprint|Unrecognized/i],
      ["service=a'b", /service/],
      ['cursor=not-a-cursor', /cursor/],
    ];
    for (const [query, message] of cases) {
      const r = await list(`${query}`);
      expect(r.status, query).toBe(400);
      expect(String(r.json['message']), query).toMatch(message);
    }
    expect((await list('cursor=not-a-cursor')).json['error']).toBe('InvalidCursor');
    expect((await list('', '')).status).toBe(401);
  });

  it('when a cursor was not given out by the API (forged or altered), then it is refused at once, before Temporal is asked', async () => {
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const given = (await list(`service=${svcA}&limit=1`)).next;
    if (!given) throw new Error('no cursor given');
    const [, mac] = given.split('.');
    const forged = [
      b64({ page: 'AAAA', incident: 0, alert: 0 }),
      `${b64({ page: 'AAAA', incident: 0, alert: 0 })}.${mac}`,
      `${b64({ page: '', incident: 1, alert: 0 })}.${'A'.repeat(22)}`,
    ];
    for (const cursor of forged) {
      const began = Date.now();
      const r = await list(`service=${svcA}&cursor=${cursor}`);
      expect(r.status, cursor).toBe(400);
      expect(r.json['error']).toBe('InvalidCursor');
      // A forged page token once reached Temporal, which answered UNKNOWN until the 5 s deadline.
      expect(Date.now() - began).toBeLessThan(1000);
    }
    expect((await list(`service=${svcA}&limit=1&cursor=${given}`)).status).toBe(200);
  });
});

describe('GET /api/v1/alerts/:fingerprint', () => {
  it('finds the alert in the incident that holds it', async () => {
    const r = await api.call('GET', `/api/v1/alerts/${encodeURIComponent(fp('c1'))}`, {
      token: TOKENS.viewer,
    });
    expect(r.status).toBe(200);
    expect(r.json['fingerprint']).toBe(fp('c1'));
    const alerts = r.json['alerts'] as HeldAlert[];
    expect(alerts.map((a) => [a.incidentId, a.status])).toEqual([[ids.c, 'firing']]);
  });

  it('says 404 for a fingerprint no incident holds, and 400 for a filter it does not take', async () => {
    const missing = await api.call('GET', `/api/v1/alerts/${fp('nope')}?service=${svcA}`, {
      token: TOKENS.viewer,
    });
    expect(missing.status).toBe(404);
    expect(missing.json['error']).toBe('AlertNotFound');
    const bad = await api.call('GET', `/api/v1/alerts/${fp('a1')}?status=firing`, { token: TOKENS.viewer });
    expect(bad.status).toBe(400);
  });
});

describe('an incident whose worker does not answer', () => {
  it('is named in `unanswered`, and the rest of the answer still comes', async () => {
    const service = `alerts-dead-${run}`;
    // Started on a task queue no worker polls: its state query can never be answered.
    const handle = await api.client.workflow.start(incidentWorkflow, {
      workflowId: `alerts-dead-${run}`,
      taskQueue: `alerts-no-worker-${run}`,
      args: [
        {
          incidentId: `alerts-dead-${run}`,
          correlationKey: `test=${service}`,
          debounceMs: 0,
          maxHistoryEvents: 5000,
          dryRun: false,
        },
      ],
      typedSearchAttributes: [{ key: SA.service, value: service }],
    });
    try {
      for (let i = 0; ; i++) {
        const r = await api.call('GET', `/api/v1/incidents?service=${service}`, { token: TOKENS.viewer });
        if ((r.json['incidents'] as unknown[]).length === 1) break;
        if (i > 100) throw new Error('visibility never listed the incident');
        await new Promise((r) => setTimeout(r, 100));
      }
      // Asked once: this incident never answers.
      const r = await list(`service=${service}`, TOKENS.viewer, { patient: false });
      expect(r.status).toBe(200);
      expect(r.alerts).toEqual([]);
      expect(r.json['unanswered']).toEqual([handle.workflowId]);
      const found = await list(`service=${svcA}`);
      expect(found.json['unanswered']).toEqual([]);
    } finally {
      await handle.terminate('test over');
    }
  }, 60_000);
});
