/**
 * The console's verdict card in a real browser (chromium), against the real API and a real worker:
 * a reader sees the verdict and no buttons; an approver gives one, sees a refusal shown, and a repeat
 * changes nothing.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertPayload,
  incidentIdOf,
  startApiHarness,
  TOKENS,
  type ApiHarness,
} from '../support/api-harness.js';
import { launchChromium, type RunningBrowser } from '../support/browser.js';

let api: ApiHarness;
let browser: RunningBrowser;
let page: Page;
let id = '';
const problems: string[] = [];

async function signIn(token: string): Promise<void> {
  await page.locator('#token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

beforeAll(async () => {
  api = await startApiHarness({ taskQueue: 'verdict-console-tests', runbooks: {} });
  const body = alertPayload({
    alertname: 'VerdictConsole',
    labels: { service: `verdict-console-${Date.now().toString(36)}`, severity: 'warning' },
    summary: 'an incident to judge from the console',
  });
  id = await incidentIdOf(await api.call('POST', '/api/v1/alertmanager', { token: TOKENS.alice, body }));
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

describe('the verdict card', () => {
  it('a reader sees that there is no verdict yet, and no buttons', async () => {
    await page.goto(`${api.server.url}/#/incidents/${encodeURIComponent(id)}`);
    await signIn(TOKENS.viewer);
    await page.locator('#verdict-current').getByText('No verdict yet').waitFor();
    expect(await page.locator('#verdict').innerText()).toContain(
      'Your token (viewer) lacks the approve role',
    );
    expect(await page.locator('#verdict-noise').count()).toBe(0);
  });

  it('an approver says noise; a duplicate without its incident is refused; the same again changes nothing', async () => {
    await page.locator('#sign-out').click();
    await signIn(TOKENS.alice);
    await page.locator('#verdict-noise').waitFor();
    await page.locator('#verdict-note').fill('flaps on deploy');
    await page.locator('#verdict-noise').click();
    await page.locator('#verdict-result').getByText('Recorded: Noise.').waitFor();
    expect(await page.locator('#verdict-current').innerText()).toMatch(
      /^Noise, said alice via console: flaps on deploy/,
    );

    await page.locator('#verdict-duplicate').click();
    await page
      .locator('#verdict-result')
      .getByText(/Refused \(400\): invalid verdict/)
      .waitFor();

    await page.locator('#verdict-noise').click();
    await page.locator('#verdict-result').getByText('Already so: nothing changed.').waitFor();
    const stored = await api.call('GET', `/api/v1/incidents/${id}/verdict`, { token: TOKENS.viewer });
    expect(stored.json).toMatchObject({
      person: { verdict: 'noise', actor: 'alice', via: 'console', note: 'flaps on deploy' },
      replaced: [],
    });
    expect(problems).toEqual([]);
  });
});
