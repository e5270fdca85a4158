import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testDocker } from '../support/docker.js';
import { freePort } from '../support/prometheus.js';

const root = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'steadfast-ctrl-c-'));
const runId = inject('testRunId');
const prefix = `steadfast-test-ctrlc-${runId.slice(0, 8)}`;

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run demo', () => {
  it('when Ctrl-C reaches its process group, then the demo containers and Steadfast are gone before it exits', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STEADFAST_DATA_DIR: dataDir,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `ctrl-c-${runId}`,
      STEADFAST_API_PORT: String(await freePort()),
      STEADFAST_WORKER_METRICS_PORT: '0',
      DEMO_PORTS: `${await freePort()},${await freePort()}`,
      DEMO_NAME_PREFIX: prefix,
      DEMO_TEST_RUN: runId,
    };
    // No socket named: npm start serves podman's Docker API itself, as on a machine without Docker.
    delete env['STEADFAST_DOCKER_SOCKET'];
    // Its own process group, as a terminal gives the job it runs in the foreground.
    const demo = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'ctrl-c.fixture.ts')],
      {
        cwd: root,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    demo.stdout.on('data', (c: Buffer) => (output += c.toString()));
    demo.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 120_000;
    while (!output.includes('[demo] ready')) {
      if (demo.exitCode !== null) throw new Error(`the demo exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`the demo did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const docker = testDocker();
    const containers = async (): Promise<string[]> =>
      (await docker.listContainers({ all: true, filters: { name: [prefix] } })).flatMap((c) => c.Names);
    expect(await containers()).toHaveLength(2);
    const steadfast = Number(/steadfast pid (\d+)/.exec(output)?.[1]);

    // The terminal signals the group; npm and scripts/demo.mjs pass the signal on: three at once.
    for (let i = 0; i < 3; i++) process.kill(-(demo.pid ?? 0), 'SIGINT');

    expect(await exited).toBe(0);
    expect(await containers()).toEqual([]);
    expect(alive(steadfast)).toBe(false);
    expect(output).toContain('[demo] stopped');
  }, 240_000);
});
