import { testDockerScope } from '../support/scenario.js';
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertPayload,
  incidentIdOf,
  startApiHarness,
  startRisingMetric,
  TOKENS,
  type ApiHarness,
} from '../support/api-harness.js';
import { launchChromium, screenshotPath, type RunningBrowser } from '../support/browser.js';
import { startTestContainer } from '../support/docker.js';

const TASK_QUEUE = 'console-tests';
const CONTAINER = 'steadfast-test-console';

const RUNBOOK = `
title: Restart the checkout container
match: { alertnames: [ConsoleTestErrors] }
risk: low
approvers: [alice]
steps:
  - action: docker.restart
    container: '{{ labels.container }}'
    stopTimeout: 2s
${testDockerScope()}
verify: { promql: 'console_test_ratio >= 0', within: 30s, interval: 1s }
`;

let api: ApiHarness;
let metric: Awaited<ReturnType<typeof startRisingMetric>>;
let browser: RunningBrowser;
let page: Page;
let container: Docker.Container;
let startedBefore = '';
let id = '';
const others: string[] = [];
const service = `checkout-${Date.now().toString(36)}`;
/** Errors the page raised, and requests the browser refused (CSP): none is expected. */
const problems: string[] = [];

async function signIn(token: string): Promise<void> {
  await page.locator('#token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signOut(): Promise<void> {
  await page.locator('#sign-out').click();
  await page.locator('#token').waitFor();
}

const text = (selector: string): Promise<string> => page.locator(selector).innerText();

beforeAll(async () => {
  metric = await startRisingMetric('console_test_ratio', 'checkout', ['ConsoleTestErrors']);
  api = await startApiHarness({
    taskQueue: TASK_QUEUE,
    runbooks: { 'restart.yaml': RUNBOOK },
    prometheusUrl: metric.prometheus.url,
  });
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    // Refusals (401, 403) are answers the page shows; anything else logged as an error is a fault.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      problems.push(`console: ${m.text()}`);
  });
  container = await startTestContainer(api.docker, CONTAINER);
  startedBefore = (await container.inspect()).State.StartedAt;
  const risingSince = await metric.rise();
  await new Promise((r) => setTimeout(r, 8000));
  id = await incidentIdOf(
    await api.call('POST', '/api/v1/alertmanager', {
      token: TOKENS.alice,
      body: alertPayload({
        alertname: 'ConsoleTestErrors',
        labels: { service, container: CONTAINER, severity: 'critical' },
        summary: `Error ratio climbing on ${service}`,
        prometheus: { url: metric.prometheus.url, expr: metric.expr },
        startsAt: risingSince,
      }),
    }),
  );
  // Two more incidents with no runbook, of lesser severities, so that the list shows every light.
  for (const [alertname, severity, summary] of [
    ['ConsoleTestQueue', 'warning', 'Order queue backlog growing'],
    ['ConsoleTestDisk', 'info', 'Disk usage forecast to reach 90% in 6h'],
  ] as const) {
    others.push(
      await incidentIdOf(
        await api.call('POST', '/api/v1/alertmanager', {
          token: TOKENS.alice,
          body: alertPayload({
            alertname,
            labels: { service: `${alertname.slice(11).toLowerCase()}-${service}`, severity },
            summary,
          }),
        }),
      ),
    );
  }
  await api.waitFor(id, (s) => s.stage === 'approve');
}, 180_000);

afterAll(async () => {
  for (const other of others)
    await api?.call('POST', `/api/v1/incidents/${other}/resolve`, { token: TOKENS.alice, body: {} });
  await browser?.close();
  await api?.stop();
  await metric?.close();
});

describe('the web console in a real browser', () => {
  it('serves static pages without data at /, and asks for a token before showing anything', async () => {
    const home = await api.call('GET', '/');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    expect(home.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(home.text).not.toContain(id);
    for (const asset of [
      '/console/app.js',
      '/console/chart.js',
      '/console/style.css',
      '/vendor/uPlot.iife.min.js',
    ])
      expect((await api.call('GET', asset)).status, asset).toBe(200);
    expect((await api.call('GET', '/api/v1/incidents')).status).toBe(401);

    await page.goto(api.server.url);
    await page.locator('#token').waitFor();
    await signIn('not-a-valid-token-at-all');
    await page.getByText('That token is not valid.').waitFor();
    await signIn(TOKENS.viewer);
    await page.locator('#who').getByText('viewer').waitFor();

    // Listed from Temporal visibility, which catches up with a new workflow within a few seconds.
    const row = page.locator('tr', { has: page.locator(`a[href="#/incidents/${id}"]`) });
    await row.waitFor({ timeout: 30_000 });
    const cells = await row.locator('td').allInnerTexts();
    expect(cells[0]).toBe('critical');
    expect(cells[1]).toContain(`Error ratio climbing on ${service}`);
    expect(cells[1]).toContain(id);
    expect(cells[2]).toBe(service);
    expect(cells[3]).toBe('approve');
    expect(cells[4]).toMatch(/^\d+s$|^\d+m \d\ds$/);
    for (const other of others)
      await page.locator(`a[href="#/incidents/${other}"]`).waitFor({ timeout: 30_000 });
    expect(await page.locator('.risk-medium').count()).toBeGreaterThan(0);
    expect(await page.locator('.risk-low').count()).toBeGreaterThan(0);
  });

  it('shows an incident with its live stages, timeline, chart, findings and recommendation; a reader gets no buttons', async () => {
    await page.locator(`a[href="#/incidents/${id}"]`).click();
    await page.locator('.stage.current[data-stage="approve"]').waitFor();
    expect(await text('.stage.done[data-stage="detect"]')).toMatch(/detect\s+\d\d:\d\d:\d\d\.\d{3}/);
    // The chart is uPlot's canvas, with the series, the usual band, the threshold and the forecast.
    await page.locator('#chart canvas').first().waitFor();
    const legend = await page.locator('#chart .u-legend').innerText();
    for (const label of ['console_test_ratio', 'threshold', 'forecast', 'usual high'])
      expect(legend).toContain(label);
    const findings = await page
      .locator('section', { has: page.getByRole('heading', { name: 'Findings' }) })
      .innerText();
    // A score is in [0, 1]: a series' first drop to zero scores 1 (src/detection/extreme.ts).
    expect(findings).toMatch(/Score\s+(0\.\d{3}|1\.000) — anomalous/);
    expect(findings).toContain('console_test_ratio');
    expect(findings).toMatch(/Summary\s+\S+/);
    const recommendation = await page
      .locator('section', { has: page.getByRole('heading', { name: 'Recommendation' }) })
      .innerText();
    expect(recommendation).toContain('Restart the checkout container');
    expect(recommendation).toContain('docker.restart');
    const timeline = await page
      .locator('section', { has: page.getByRole('heading', { name: 'Timeline' }) })
      .innerText();
    expect(timeline).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\s+collect\s+opened/);
    expect(timeline).toContain('recommended');
    expect(await page.locator('#temporal-link').getAttribute('href')).toBe(
      `http://127.0.0.1:8233/namespaces/default/workflows/${id}`,
    );
    expect(await text('#decision')).toContain('Your token (viewer) lacks the approve role.');
    expect(await page.locator('#approve').isVisible()).toBe(false);
  });

  it("when an approver who is not among the runbook's approvers clicks Approve, then the refusal shows and nothing moves", async () => {
    await signOut();
    await signIn(TOKENS.mallory);
    await page.locator('#approve').waitFor();
    await page.locator('#approve').click();
    await page.getByText('Refused (403): mallory is not an approver for runbook restart').waitFor();
    const s = await api.state(id);
    expect(s.stage).toBe('approve');
    expect(s.approvals).toEqual([]);
    expect((await container.inspect()).State.StartedAt).toBe(startedBefore);
  });

  it('when a guard hands the plan on screen back to people, then the card says so and why', async () => {
    await signOut();
    await signIn(TOKENS.alice);
    await page.locator('#approve').waitFor();
    // Remediation paused everywhere, then an approval from elsewhere: the guard refuses the restart.
    const pause = { token: TOKENS.alice, body: { reason: 'storage maintenance' } };
    expect((await api.call('POST', '/api/v1/remediation/pause', pause)).status).toBe(200);
    try {
      const elsewhere = { token: TOKENS.alice, body: { round: 0, reason: 'from the CLI' } };
      expect((await api.call('POST', `/api/v1/incidents/${id}/approve`, elsewhere)).status).toBe(200);
      await api.waitFor(id, (s) => s.stage === 'approve' && s.round === 1);
      await page.getByText('A guard handed the plan back to people').waitFor();
      expect(await text('#guard-refusal')).toMatch(
        /A guard refused the approved plan: remediation is paused by alice since .*: storage maintenance\. Decide on it again\./,
      );
      expect((await container.inspect()).State.StartedAt).toBe(startedBefore);
    } finally {
      await api.call('POST', '/api/v1/remediation/resume', { token: TOKENS.alice, body: {} });
    }
  });

  it('when an authorised approver clicks Approve, then the workflow moves on: a real restart, verified, closed', async () => {
    await page.locator('#approve').waitFor();
    await page.locator('#decision').getByText('Run “Restart the checkout container” (low risk)?').waitFor();
    await page.screenshot({ path: screenshotPath('incident.png'), fullPage: true });
    await page.locator('#reason').fill('error ratio climbing; restart it');
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/${id}/approve`));
    await page.locator('#approve').click();
    await page.getByText('Approved by alice.').waitFor();
    // The approval names the round of the plan on screen, so one a guard has since handed back is refused.
    // With it, when the incident opened, so one opened again under its ID since refuses it.
    const { openedAt } = await api.state(id);
    expect((await sent).postDataJSON()).toEqual({
      round: 1,
      opened: openedAt,
      reason: 'error ratio climbing; restart it',
    });
    // The page follows the workflow on its own: remediate, verify, closed.
    await page.locator('.chip.outcome-verified').first().waitFor({ timeout: 45_000 });
    await page.locator('.stage.done[data-stage="closed"]').waitFor();
    const approvals = await page
      .locator('section', { has: page.getByRole('heading', { name: 'Approvals' }) })
      .innerText();
    expect(approvals).toMatch(/approved\s+alice\s+api\s+error ratio climbing; restart it/);
    const actions = await page
      .locator('section', { has: page.getByRole('heading', { name: 'Actions and rollbacks' }) })
      .innerText();
    expect(actions).toContain(`restart container ${CONTAINER}`);
    expect(actions).toMatch(/Verification passed/);
    expect((await container.inspect()).State.StartedAt).not.toBe(startedBefore);
    const s = await api.state(id);
    expect(s.outcome).toBe('verified');
    expect(s.approvals).toEqual([
      expect.objectContaining({ actor: 'alice', via: 'api', decision: 'approved', reason: 'from the CLI' }),
      expect.objectContaining({ actor: 'alice', via: 'api', decision: 'approved', round: 1 }),
    ]);
  }, 90_000);

  it('downloads the report from the console, and the report draws its chart with nothing from outside', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#download-report').click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${id}.html`);
    const saved = readFileSync(await download.path(), 'utf8');
    expect(saved).toContain(`<title>Incident report ${id}</title>`);
    // The incident is closed: its postmortem draft is offered beside the report.
    const [draft] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#download-postmortem').click(),
    ]);
    expect(draft.suggestedFilename()).toBe(`${id}.md`);
    expect(readFileSync(await draft.path(), 'utf8')).toMatch(/^# Postmortem draft: /);

    const report = await browser.context.newPage();
    const requests: string[] = [];
    const reportUrl = `${api.server.url}/api/v1/incidents/${id}/report`;
    await report.route('**/*', async (route) => {
      requests.push(route.request().url());
      if (route.request().url() !== reportUrl) return route.abort();
      return route.continue({
        headers: { ...route.request().headers(), authorization: `Bearer ${TOKENS.viewer}` },
      });
    });
    const errors: string[] = [];
    report.on('pageerror', (err) => errors.push(err.message));
    report.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await report.goto(reportUrl);
    await report.locator('#chart canvas').first().waitFor();
    expect(await report.locator('#chart .u-legend').innerText()).toContain('forecast');
    expect(await report.locator('#summary').innerText()).toMatch(/Time to resolution\s+\d+\.\d{3}s \(\d+ ms/);
    // The top of the page (summary, chart, findings): the whole page is several screens long.
    await report.setViewportSize({ width: 1180, height: 1500 });
    await report.screenshot({ path: screenshotPath('report.png') });
    expect(requests).toEqual([reportUrl]);
    expect(errors).toEqual([]);
    await report.close();
  });

  it('lists the closed incident with its outcome next to the open ones', async () => {
    await page.locator('a.back').click();
    const row = page.locator('tr', { has: page.locator(`a[href="#/incidents/${id}"]`) });
    await row.locator('.chip.outcome-verified').waitFor({ timeout: 30_000 });
    expect(await row.locator('td').nth(3).innerText()).toBe('closed');
    await page.screenshot({ path: screenshotPath('console.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('when the incident on screen closes and opens again under its ID, then the page says so', async () => {
    const other = others[0] ?? '';
    const queueAlert = (startsAt: string) =>
      alertPayload({
        alertname: 'ConsoleTestQueue',
        labels: { service: `queue-${service}`, severity: 'warning' },
        summary: 'Order queue backlog growing',
        startsAt,
      });
    await page.locator(`a[href="#/incidents/${other}"]`).click();
    await page.locator('.id', { hasText: other }).waitFor();
    const { openedAt } = await api.state(other);
    await page.getByText(`Opened ${openedAt.replace('T', ' ').slice(0, 19)}`).waitFor();
    expect(await page.locator('#reopened').isHidden()).toBe(true);

    const resolve = { token: TOKENS.alice, body: { reason: 'backlog drained' } };
    expect((await api.call('POST', `/api/v1/incidents/${other}/resolve`, resolve)).status).toBe(200);
    await api.waitFor(other, (s) => s.stage === 'closed');
    const again = await api.call('POST', '/api/v1/alertmanager', {
      token: TOKENS.alice,
      body: queueAlert(new Date().toISOString()),
    });
    expect(again.json['incidents']).toEqual([
      expect.objectContaining({ incidentId: other, status: 'accepted' }),
    ]);
    const reopened = await api.waitFor(other, (s) => s.openedAt !== openedAt && s.stage !== 'closed');

    await page.locator('#reopened').waitFor();
    expect(await text('#reopened')).toMatch(
      /^This incident closed and opened again at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC: what you see now is the new opening\. Read it before you decide\.$/,
    );
    await page.getByText(`Opened ${reopened.openedAt.replace('T', ' ').slice(0, 19)}`).waitFor();
    expect(problems).toEqual([]);
  });
});
