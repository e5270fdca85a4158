import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { startTargets, type DemoTarget } from './loop.js';
import type { Shutdown } from './shutdown.js';

const root = join(import.meta.dirname, '..');

/**
 * Steadfast as `npm start` runs it (with the podman service that serves the Docker API, when there is
 * no Docker engine), in a process group of its own: the terminal's Ctrl-C reaches the demo, not
 * Steadfast and its podman service, which must keep serving the Docker API until the demo's containers
 * are removed. Its clean-up is registered first, so it runs last. `onExit` hears of an exit the demo
 * did not ask for.
 */
export function startSteadfast(
  shutdown: Shutdown,
  env: NodeJS.ProcessEnv,
  onExit: (code: number | null) => void,
): ChildProcess {
  const steadfast = spawn(process.execPath, [join(root, 'scripts', 'start.mjs')], {
    cwd: root,
    stdio: 'inherit',
    detached: true,
    env,
  });
  const exited = (): boolean => steadfast.exitCode !== null || steadfast.signalCode !== null;
  shutdown.add(
    () =>
      new Promise<void>((resolve) => {
        if (exited()) return resolve();
        steadfast.once('exit', () => resolve());
        steadfast.kill('SIGTERM');
      }),
  );
  steadfast.on('exit', (code) => {
    if (!shutdown.stopping) onExit(code);
  });
  return steadfast;
}

/** The Docker API Steadfast acts on: configured, the machine's Docker engine, or npm start's podman. */
export function dockerSocket(env: NodeJS.ProcessEnv, dataDir: string): string {
  return (
    env['STEADFAST_DOCKER_SOCKET'] ??
    (existsSync('/var/run/docker.sock') ? '/var/run/docker.sock' : join(dataDir, 'podman.sock'))
  );
}

export async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface DemoServicesOptions {
  /** Container names are `<prefix>-<service>`; the demo's are `steadfast-demo-…`. */
  namePrefix?: string;
  labels?: Record<string, string>;
}

const DEFAULT_PREFIX = 'steadfast-demo';

/** Removes a container whatever its state; one that is already gone is fine. */
async function removeContainer(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getContainer(name).remove({ force: true });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
}

/**
 * The demo's services as containers, removed when the demo stops. The removal is registered as the
 * start begins, so a Ctrl-C while they start removes whatever was made (after the start has settled),
 * and it runs while the Docker API is still served (the engine's service stops after it: see
 * demo/run.ts).
 */
export async function startDemoServices(
  shutdown: Shutdown,
  docker: Docker,
  image: string,
  services: { service: string; port: number }[],
  options: DemoServicesOptions = {},
): Promise<DemoTarget[]> {
  const prefix = options.namePrefix ?? DEFAULT_PREFIX;
  const names = services.map(({ service }) => `${prefix}-${service}`);
  const starting = startTargets(docker, image, services, {
    namePrefix: prefix,
    ...(options.labels ? { labels: options.labels } : {}),
  });
  shutdown.add(async () => {
    // A container still being created would be made after its removal: let the start finish first.
    await starting.catch(() => undefined);
    await Promise.all(names.map((name) => removeContainer(docker, name)));
  });
  return starting;
}
