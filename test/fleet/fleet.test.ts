import Docker from 'dockerode';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fleetResponseSchema } from '../../src/api/schemas/fleet.js';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { createFleetReader } from '../../src/fleet/collect.js';
import type { FleetRow } from '../../src/fleet/row.js';
import { fleetSelectorOf } from '../../src/fleet/selector.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { testApp } from '../support/api-harness.js';
import { launchChromium, screenshotPath, type RunningBrowser } from '../support/browser.js';
import { createTestContainer, testDocker } from '../support/docker.js';

/**
 * GET /api/v1/fleet and the console's Fleet view on the real app, reading real containers on the
 * suite's podman engine: one running with a memory limit, one created and never started.
 */

const run = Date.now().toString(36);
const TOKEN = `fleet-token-${run}-0123456789`;
const LABEL = `steadfast.fleet-test=${run}`;
const BUSY = `steadfast-test-fleet-busy-${run}`;
const IDLE = `steadfast-test-fleet-idle-${run}`;
const LIMIT = 64 * 1024 * 1024;

const settingsFor = (label: string): Settings =>
  loadSettings({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    STEADFAST_API_TOKEN: TOKEN,
    STEADFAST_API_PORT: '0',
    STEADFAST_FLEET_LABEL: label,
  });

let docker: Docker;
let server: RunningServer;
let busyId = '';
const containers: Docker.Container[] = [];

async function fleet(base = server.url): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`${base}/api/v1/fleet`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: r.status, body: await r.json() };
}

const rowOf = (rows: FleetRow[], name: string): FleetRow | undefined => rows.find((r) => r.name === name);

beforeAll(async () => {
  docker = testDocker();
  const labels = { 'steadfast.fleet-test': run };
  const busy = await createTestContainer(docker, BUSY, { labels, hostConfig: { Memory: LIMIT } });
  containers.push(busy, await createTestContainer(docker, IDLE, { labels, start: false }));
  busyId = (await busy.inspect()).Id;
  const metrics = createMetrics();
  // Two actions a closed incident recorded on the busy container, as src/activities/lifecycle.ts counts them.
  for (const result of ['done', 'rolled-back'])
    metrics.remediationActions.inc({
      action: 'docker.restart',
      result,
      target: `docker/container/${busyId}`,
    });
  server = await listen(await testApp(settingsFor(LABEL), { metrics, docker }), '127.0.0.1', 0);
}, 60_000);

afterAll(async () => {
  await server?.close();
  for (const c of containers) await c.remove({ force: true }).catch(() => undefined);
});

describe('the fleet on a real engine', () => {
  it('when two containers carry the label, then each has a row: measures for the running one, unknowns for the other', async () => {
    const first = await fleet();
    expect(first.status).toBe(200);
    const answer = fleetResponseSchema.parse(first.body);
    expect(answer).toMatchObject({ selector: LABEL, matched: 2, truncated: false });
    expect(answer.containers.map((r) => r.name)).toEqual([BUSY, IDLE]);
    const busy = rowOf(answer.containers, BUSY);
    expect(busy).toMatchObject({
      id: busyId,
      status: 'running',
      memoryLimitBytes: LIMIT,
      memoryLimited: true,
      restarts: 0,
      interventions: 2,
    });
    expect(busy?.unknown).toBeUndefined();
    expect(busy?.memoryBytes).toBeGreaterThan(0);
    expect(busy?.cpuCores).toBeGreaterThanOrEqual(0);
    expect(busy?.netInBytes).toBeGreaterThanOrEqual(0);
    expect(rowOf(answer.containers, IDLE)).toMatchObject({
      status: 'created',
      cpuCores: null,
      interventions: 0,
      unknown: { reason: 'the container is not running' },
    });

    // The second poll has the first one's CPU sample to compare with.
    const second = fleetResponseSchema.parse((await fleet()).body);
    expect(rowOf(second.containers, BUSY)?.cpuBasis).toBe('recent');
  });

  it('when more containers match than the cap, then the first by name are read and the answer says so', async () => {
    const read = createFleetReader(docker, { selector: fleetSelectorOf(LABEL), maxContainers: 1 });
    const answer = await read(new Map());
    expect(answer).toMatchObject({ matched: 2, truncated: true });
    expect(answer.containers.map((r) => r.name)).toEqual([BUSY]);
  });

  it('when no engine answers on the socket, then 503 says so', async () => {
    const nowhere = new Docker({ socketPath: `/tmp/steadfast-no-engine-${run}.sock` });
    const down = await listen(await testApp(settingsFor(LABEL), { docker: nowhere }), '127.0.0.1', 0);
    try {
      const r = await fleet(down.url);
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({
        error: 'DockerUnreachable',
        message: /the Docker engine did not answer/,
      });
    } finally {
      await down.close();
    }
  });
});

describe('the console’s Fleet view in a real browser', () => {
  let browser: RunningBrowser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.context.newPage();
  }, 60_000);
  afterAll(async () => browser?.close());

  it('lists the labelled containers with status, memory share and interventions', async () => {
    await page.goto(server.url);
    await page.locator('#token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Fleet' }).click();
    const busy = page.locator('tr', { has: page.locator(`[data-container="${BUSY}"]`) });
    await busy.waitFor({ timeout: 20_000 });
    const cells = await busy.locator('td').allInnerTexts();
    expect(cells[1]).toBe('running');
    expect(cells[2]).toMatch(/^\d+\.\d%$/);
    expect(cells[3]).toMatch(/^\d+\.\d% of 64\.0 MiB$/);
    expect(cells[4]).toBe('0');
    expect(cells[7]).toBe('2');
    const idle = page.locator('tr', { has: page.locator(`[data-container="${IDLE}"]`) });
    expect(await idle.locator('td').nth(1).innerText()).toBe('created');
    expect(await idle.locator('td').nth(2).innerText()).toBe('—');
    expect(await page.locator('main p.muted').first().innerText()).toContain(`${LABEL}: 2.`);
    await page.screenshot({ path: screenshotPath('fleet.png') });
  }, 60_000);
});
