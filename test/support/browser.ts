import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium (installed by `npm test`): playwright-core drives it and never downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface RunningBrowser {
  context: BrowserContext;
  close: () => Promise<void>;
}

/** Headless chromium with a fresh profile of its own, removed on close. */
export async function launchChromium(): Promise<RunningBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (npm test does)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'steadfast-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Where a screenshot goes: docs/ with STEADFAST_SCREENSHOTS=1 (to refresh the pictures the README and docs/operations.md show),
 * a temporary folder otherwise, so that a test run leaves the work tree as it was.
 */
export function screenshotPath(name: string): string {
  const docs = join(import.meta.dirname, '..', '..', 'docs');
  if (process.env['STEADFAST_SCREENSHOTS'] === '1') {
    mkdirSync(docs, { recursive: true });
    return join(docs, name);
  }
  return join(mkdtempSync(join(tmpdir(), 'steadfast-screenshot-')), name);
}
