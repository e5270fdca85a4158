import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestProject } from 'vitest/node';
import { ensureTemporalCli } from '../../scripts/lib/temporal-cli.mjs';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';
import { TEST_IMAGE } from './constants.js';
import { noteRun, removeLeftoverContainers, removeRunContainers } from './leftovers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    dockerSocket: string;
    /** Labels this run's containers, so clean-up never touches another run's. */
    testRunId: string;
  }
}

const root = join(import.meta.dirname, '..', '..');

/** A busybox image made offline from Debian's busybox-static: enough for real containers to restart. */
function ensureTestImage(): void {
  try {
    execFileSync('podman', ['image', 'exists', TEST_IMAGE]);
    return;
  } catch {
    // not there yet
  }
  const rootfs = mkdtempSync(join(tmpdir(), 'steadfast-rootfs-'));
  try {
    mkdirSync(join(rootfs, 'bin'));
    execFileSync('cp', ['/bin/busybox', join(rootfs, 'bin', 'busybox')]);
    for (const applet of ['sh', 'sleep', 'httpd', 'echo', 'cat', 'trap'])
      symlinkSync('busybox', join(rootfs, 'bin', applet));
    writeFileSync(join(rootfs, 'README'), 'steadfast test image\n');
    const tar = `${rootfs}.tar`;
    execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
    execFileSync('podman', ['import', tar, TEST_IMAGE], { stdio: 'ignore' });
    rmSync(tar, { force: true });
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

async function startPodmanService(): Promise<{ socket: string; child: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-podman-'));
  const socket = join(dir, 'docker.sock');
  const child = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
    env: { ...process.env, CONTAINERS_CONF: join(root, 'scripts', 'podman', 'containers.conf') },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 20_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null) throw new Error('podman system service exited at start');
    if (Date.now() > deadline) throw new Error('podman system service did not create its socket in 20s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { socket, child, dir };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cli = ensureTemporalCli();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      ip: '127.0.0.1',
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
    },
  });
  ensureTestImage();
  const removed = removeLeftoverContainers();
  if (removed.length > 0)
    console.warn(`[steadfast] removed containers of killed test runs: ${removed.join(', ')}`);
  const runId = randomUUID();
  const forgetRun = noteRun(runId);
  const podman = await startPodmanService();
  project.provide('temporalAddress', env.address);
  project.provide('dockerSocket', podman.socket);
  project.provide('testRunId', runId);
  return async () => {
    try {
      removeRunContainers(runId);
    } catch {
      // best effort: the next run removes what is left (see removeLeftoverContainers)
    }
    podman.child.kill('SIGTERM');
    rmSync(podman.dir, { recursive: true, force: true });
    forgetRun();
    await env.teardown();
  };
}
