/**
 * GET /api/v1/clusters and POST /api/v1/incidents/:id/merge on a real Temporal server: incidents opened
 * through the API, clustered from their states, and merged by the real workflow; and the console's
 * Clusters view in a real browser.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentIdOf, startApiHarness, TOKENS, type ApiHarness } from '../support/api-harness.js';
import { launchChromium, screenshotPath, type RunningBrowser } from '../support/browser.js';

interface Member {
  incidentId: string;
  alerts: number;
  status: string;
}
interface Cluster {
  id: string;
  size: number;
  services: string[];
  diameter: number;
  incidents: Member[];
}

const run = Date.now().toString(36);
const service = `checkout-${run}`;
/** A second problem, for the console to merge. */
const payments = `payments-${run}`;
let api: ApiHarness;
const ids = { a: '', b: '', c: '', d: '', e: '' };

const alert = (alertname: string, title: string, instance: string, on = service) => ({
  title,
  severity: 'critical',
  service: on,
  labels: { alertname, instance, namespace: 'shop' },
  dedupKey: `${alertname}:${instance}:${run}`,
});

const clusters = async (query = `service=${service}`, token = TOKENS.viewer) => {
  const r = await api.call('GET', `/api/v1/clusters?${query}`, { token });
  return { ...r, clusters: (r.json['clusters'] ?? []) as Cluster[] };
};

async function clusteredTotal(): Promise<number> {
  const r = await api.call('GET', '/metrics');
  const line = r.text.split('\n').find((l) => l.startsWith('steadfast_alerts_clustered_total '));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

beforeAll(async () => {
  api = await startApiHarness({ taskQueue: 'clusters-api-tests', runbooks: {} });
  const post = (body: unknown) => api.call('POST', '/api/v1/alerts', { token: TOKENS.alice, body });
  // Two alert rules about one latency problem (each its own incident: their alertnames differ), and a
  // problem of its own on the same service.
  ids.a = await incidentIdOf(await post(alert('HighLatency', `p99 latency above 2s on ${service}`, 'i1')));
  ids.b = await incidentIdOf(
    await post(alert('LatencyP99High', `${service} responses slow: p99 latency over threshold`, 'i2')),
  );
  ids.c = await incidentIdOf(
    await post(alert('DiskFull', `disk almost full on the ${service} volume`, 'i3')),
  );
  ids.d = await incidentIdOf(
    await post(alert('HighErrorRate', `${payments} error rate above 5%`, 'i4', payments)),
  );
  ids.e = await incidentIdOf(
    await post(alert('Http5xxRate', `${payments} returns many 5xx errors: error rate high`, 'i5', payments)),
  );
  for (const id of Object.values(ids))
    await api.waitFor(id, (s) => s.alerts.length === 1 && s.service !== '');
  for (const [on, count] of [
    [service, 3],
    [payments, 2],
  ] as const) {
    for (let i = 0; ; i++) {
      const r = await api.call('GET', `/api/v1/incidents?service=${on}`, { token: TOKENS.viewer });
      if ((r.json['incidents'] as unknown[]).length === count) break;
      if (i > 100) throw new Error(`visibility never listed the incidents of ${on}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

describe('GET /api/v1/clusters', () => {
  it('clusters the two incidents of one problem and leaves the other out, counting their alerts once', async () => {
    const before = await clusteredTotal();
    const r = await clusters();
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ considered: 3, unclustered: 1, unanswered: [] });
    expect(r.clusters).toHaveLength(1);
    const [cluster] = r.clusters;
    expect(cluster?.incidents.map((m) => m.incidentId).sort()).toEqual([ids.a, ids.b].sort());
    expect(cluster).toMatchObject({ id: ids.a, size: 2, services: [service] });
    expect(cluster?.diameter).toBeLessThanOrEqual(0.32);
    expect(cluster?.incidents.every((m) => m.alerts === 1 && m.status === 'open')).toBe(true);
    expect((await clusteredTotal()) - before).toBe(2);
    // The same clusters asked again count nothing more.
    expect((await clusters()).clusters).toHaveLength(1);
    expect((await clusteredTotal()) - before).toBe(2);
  });

  it('refuses a bad query with a clear 400, and a token without the read role', async () => {
    for (const query of ['limit=0', 'limit=201', 'limit=ten', 'eps=0.5', "service=x' OR 1=1"]) {
      const r = await clusters(query);
      expect(r.status, query).toBe(400);
      expect(r.json['error'], query).toBe('InvalidInput');
    }
    const anonymous = await api.call('GET', '/api/v1/clusters');
    expect(anonymous.status).toBe(401);
  });
});

describe('POST /api/v1/incidents/:id/merge', () => {
  const merge = (id: string, body: unknown, token = TOKENS.alice) =>
    api.call('POST', `/api/v1/incidents/${id}/merge`, { token, body });

  it('refuses a viewer, a merge into itself, into an unknown incident, and a body without `into`', async () => {
    expect((await merge(ids.b, { into: ids.a }, TOKENS.viewer)).status).toBe(403);
    const self = await merge(ids.b, { into: ids.b });
    expect([self.status, self.json['message']]).toEqual([400, 'an incident cannot be merged into itself']);
    const unknown = await merge(ids.b, { into: `nothing-${run}` });
    expect([unknown.status, unknown.json['error']]).toEqual([404, 'IncidentNotFound']);
    expect((await merge(ids.b, {})).status).toBe(400);
    expect((await merge(ids.b, { into: ids.a, extra: 1 })).status).toBe(400);
    expect((await merge(ids.b, { into: ids.a, opened: 'yesterday' })).status).toBe(400);
    // Asked for on a page read before either ID closed and opened again.
    const stale = await merge(ids.b, { into: ids.a, opened: '2020-01-01T00:00:00.000Z' });
    expect([stale.status, stale.json['error']]).toEqual([409, 'StaleDecision']);
    const staleTarget = await merge(ids.b, { into: ids.a, intoOpened: '2020-01-01T00:00:00.000Z' });
    expect([staleTarget.status, staleTarget.json['error']]).toEqual([409, 'MergeRefused']);
    expect(staleTarget.json['message']).toMatch(/it opened again at .*, after the merge was asked for/);
    expect((await api.state(ids.b)).stage).not.toBe('closed');
  });

  it('merges one incident of a cluster into the other: alerts moved, both timelines say so, and not twice', async () => {
    const r = await merge(ids.b, { into: ids.a, reason: 'one latency problem' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ merged: ids.b, into: ids.a, alertsSent: 1, actor: 'alice' });
    const again = await merge(ids.b, { into: ids.a });
    expect(again.status).toBe(409);
    const merged = await api.waitFor(ids.b, (s) => s.stage === 'closed');
    expect(merged).toMatchObject({ outcome: 'resolved', mergedInto: ids.a });
    expect(merged.timeline.some((t) => t.event === 'merged-into' && t.actor === 'alice')).toBe(true);
    const target = await api.waitFor(ids.a, (s) => (s.absorbed ?? []).includes(ids.b));
    expect(target.alerts).toHaveLength(2);
    expect(target.timeline.find((t) => t.event === 'absorbed')?.message).toContain(ids.b);
    // Into a closed incident: refused before anything is sent.
    const intoClosed = await merge(ids.c, { into: ids.b });
    expect([intoClosed.status, intoClosed.json['error']]).toEqual([409, 'IncidentClosed']);
    // The merged incident is part of its target now: no cluster is left.
    const after = await clusters();
    expect(after.clusters).toEqual([]);
    expect(after.json['considered']).toBe(2);
  }, 60_000);
});

describe('the console’s Clusters view in a real browser', () => {
  let browser: RunningBrowser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.context.newPage();
  }, 60_000);
  afterAll(async () => browser?.close());

  async function open(token: string): Promise<void> {
    await page.goto(api.server.url);
    await page.locator('#token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Clusters' }).click();
    await page.getByRole('searchbox', { name: 'Service' }).fill(payments);
    await page.getByRole('searchbox', { name: 'Service' }).press('Enter');
  }

  it('lists a cluster with its incidents, and merges one into the first for an approver', async () => {
    await open(TOKENS.viewer);
    const cluster = page.locator(`[data-cluster="${ids.d}"]`);
    await cluster.waitFor({ timeout: 20_000 });
    expect(await cluster.locator('h2').innerText()).toMatch(new RegExp(`^2 incidents on ${payments}`));
    const rows = cluster.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).locator('.id').innerText()).toBe(ids.d);
    expect(await rows.nth(1).locator('.id').innerText()).toBe(ids.e);
    // A reader sees the clusters, not the merge.
    expect(await cluster.getByRole('button').count()).toBe(0);
    await page.locator('#sign-out').click();

    await open(TOKENS.alice);
    await cluster.waitFor({ timeout: 20_000 });
    const merge = cluster.getByRole('button', { name: 'Merge into the first' });
    await merge.waitFor({ timeout: 20_000 });
    await page.screenshot({ path: screenshotPath('clusters.png') });
    await merge.click();
    await page.locator('p.result.ok').waitFor({ timeout: 20_000 });
    expect(await page.locator('p.result.ok').innerText()).toBe(
      `Merged ${ids.e} into ${ids.d} (1 alerts sent) by alice.`,
    );
    expect(await api.waitFor(ids.e, (s) => s.stage === 'closed')).toMatchObject({ mergedInto: ids.d });
  }, 90_000);
});
