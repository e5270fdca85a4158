import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/prometheus.js';

const root = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'steadfast-start-'));

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

async function start(ports: { temporal: number; ui: number; api: number }): Promise<Started> {
  let output = '';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STEADFAST_DATA_DIR: dataDir,
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    STEADFAST_API_PORT: String(ports.api),
    STEADFAST_DEBOUNCE: '100ms',
  };
  delete env['STEADFAST_API_TOKEN'];
  delete env['TEMPORAL_ADDRESS'];
  const child = spawn(process.execPath, [join(root, 'scripts', 'start.mjs')], { env, cwd: root });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 120_000;
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (child.exitCode !== null)
      throw new Error(`npm start exited early (exit ${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => output, exited };
}

/** A start expected to give up: its exit code and output. */
async function startAndExit(ports: {
  temporal: number;
  ui: number;
  api: number;
}): Promise<{ code: number | null; output: string }> {
  try {
    const started = await start(ports);
    await stop(started);
    return { code: 0, output: started.output() };
  } catch (err) {
    const output = err instanceof Error ? err.message : String(err);
    const code = /exited early \(exit (\d+)\)/.exec(output)?.[1];
    if (code === undefined) throw err;
    return { code: Number(code), output };
  }
}

async function stop(started: Started): Promise<number | null> {
  started.child.kill('SIGTERM');
  return started.exited;
}

const portOpen = (port: number): Promise<boolean> =>
  fetch(`http://127.0.0.1:${port}/`).then(
    () => true,
    () => false,
  );

/** Whether a process still runs with this test's data folder on its command line (the dev server). */
function holdsDataDir(): boolean {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir);
      } catch {
        return false; // it exited while we looked
      }
    });
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start', () => {
  it('runs Temporal, the worker and the API on its defaults, keeps incidents across a restart, and stops cleanly', async () => {
    const ports = { temporal: await freePort(), ui: await freePort(), api: await freePort() };
    const first = await start(ports);
    const api = `http://127.0.0.1:${ports.api}`;
    expect(first.output()).toContain(`Temporal Web UI  http://127.0.0.1:${ports.ui}`);
    // The tokens' files are named, their values never printed; Alertmanager's may only post alerts.
    const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    const ingestOnly = readFileSync(join(dataDir, 'alertmanager-token'), 'utf8').trim();
    expect(first.output()).toContain(join(dataDir, 'alertmanager-token'));
    expect(first.output()).not.toContain(token);
    expect(first.output()).not.toContain(ingestOnly);
    const asAlertmanager = { authorization: `Bearer ${ingestOnly}` };
    expect((await fetch(`${api}/api/v1/incidents`, { headers: asAlertmanager })).status).toBe(403);

    expect((await fetch(`${api}/api/v1/health`)).status).toBe(200);
    expect((await fetch(`${api}/api/v1/incidents`)).status).toBe(401);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const posted = await fetch(`${api}/api/v1/alerts`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ title: 'Disk filling up', severity: 'warning', service: 'start-test' }),
    });
    expect(posted.status).toBe(202);
    const { incidents } = (await posted.json()) as { incidents: { incidentId: string }[] };
    const id = incidents[0]?.incidentId ?? '';
    expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);

    expect(await stop(first)).toBe(0);
    expect(await portOpen(ports.api)).toBe(false);
    expect(await portOpen(ports.ui)).toBe(false);

    const second = await start(ports);
    const again = await fetch(`${api}/api/v1/incidents/${id}`, { headers: auth });
    expect(again.status).toBe(200);
    const { incident } = (await again.json()) as { incident: { service: string; stage: string } };
    expect(incident.service).toBe('start-test');
    const list = await fetch(`${api}/api/v1/incidents?service=start-test&status=open`, { headers: auth });
    expect(((await list.json()) as { incidents: unknown[] }).incidents).toHaveLength(1);

    // Killed outright, it leaves nothing running: its children stop with it and free the ports.
    second.child.kill('SIGKILL');
    await second.exited;
    // Freed means exited, not only unbound: the dev server closes its ports before it lets go of
    // temporal.db, and a start in between finds the database locked.
    const freed = Date.now() + 30_000;
    while ((await portOpen(ports.api)) || (await portOpen(ports.ui)) || holdsDataDir()) {
      if (Date.now() > freed)
        throw new Error(`children of a killed npm start still serve:\n${second.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const third = await start(ports);
    try {
      expect((await fetch(`${api}/api/v1/incidents/${id}`, { headers: auth })).status).toBe(200);
    } finally {
      expect(await stop(third)).toBe(0);
    }
  }, 300_000);

  it('when a port it needs is taken, then it says which and how to move it, and starts nothing', async () => {
    const ports = { temporal: await freePort(), ui: await freePort(), api: await freePort() };
    const squatter = createServer().listen(ports.api, '127.0.0.1');
    try {
      const { code, output } = await startAndExit(ports);
      expect(code).toBe(1);
      expect(output).toContain(`127.0.0.1:${ports.api} is in use already`);
      expect(output).toContain('STEADFAST_API_PORT');
      expect(output).not.toContain('Steadfast is running');
      expect(await portOpen(ports.ui)).toBe(false);
    } finally {
      squatter.close();
    }
  }, 120_000);

  it('when a token file is empty, then it refuses to start instead of refusing every request', async () => {
    const tokenFile = join(dataDir, 'alertmanager-token');
    const kept = readFileSync(tokenFile, 'utf8');
    writeFileSync(tokenFile, '');
    try {
      const ports = { temporal: await freePort(), ui: await freePort(), api: await freePort() };
      const { code, output } = await startAndExit(ports);
      expect(code).toBe(1);
      expect(output).toContain(`${tokenFile} holds no token`);
      expect(output).not.toContain('Steadfast is running');
    } finally {
      writeFileSync(tokenFile, kept);
    }
  }, 120_000);
});
