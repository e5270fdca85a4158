import Docker from 'dockerode';
import { inject } from 'vitest';
import { TEST_IMAGE } from './constants.js';

export function testDocker(): Docker {
  return new Docker({ socketPath: inject('dockerSocket') });
}

/** A real container that stops promptly on SIGTERM, labelled for clean-up. */
export async function startTestContainer(
  docker: Docker,
  name: string,
  hostConfig: Docker.HostConfig = {},
): Promise<Docker.Container> {
  return createTestContainer(docker, name, { hostConfig });
}

/** The memory limit the kernel enforces on the container (cgroup v1 or v2), in bytes; -1 if unlimited. */
export async function liveMemoryLimit(container: Docker.Container): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const info = await container.inspect();
  const cgroup = (await readFile(`/proc/${info.State.Pid}/cgroup`, 'utf8')).split('\n');
  const v1 = cgroup.find((l) => /:memory:/.test(l))?.split(':')[2];
  if (v1) {
    const value = Number((await readFile(`/sys/fs/cgroup/memory${v1}/memory.limit_in_bytes`, 'utf8')).trim());
    return value >= 2 ** 62 ? -1 : value;
  }
  const v2 = cgroup.find((l) => l.startsWith('0::'))?.slice(3) ?? '';
  const text = (await readFile(`/sys/fs/cgroup${v2}/memory.max`, 'utf8')).trim();
  return text === 'max' ? -1 : Number(text);
}

/**
 * Like startTestContainer, with extra labels (a service's replicas carry one) and networking, and
 * optionally left stopped.
 */
export async function createTestContainer(
  docker: Docker,
  name: string,
  options: {
    labels?: Record<string, string>;
    hostConfig?: Docker.HostConfig;
    networkingConfig?: Docker.ContainerCreateOptions['NetworkingConfig'];
    start?: boolean;
    /** Shell run before the idle loop, e.g. to record each start. */
    onStart?: string;
    /** Ignore SIGTERM, as a process that does not stop cleanly: the engine then waits out a stop's timeout. */
    ignoreTerm?: boolean;
  } = {},
): Promise<Docker.Container> {
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  const container = await docker.createContainer({
    Image: TEST_IMAGE,
    name,
    Labels: { ...options.labels, 'steadfast.test': inject('testRunId') },
    Cmd: [
      '/bin/sh',
      '-c',
      `${options.onStart ? `${options.onStart}; ` : ''}trap ${options.ignoreTerm ? "''" : '"exit 0"'} TERM; while true; do sleep 1; done`,
    ],
    HostConfig: options.hostConfig ?? {},
    NetworkingConfig: options.networkingConfig,
  });
  if (options.start ?? true) await container.start();
  return container;
}
