import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { createTestContainer } from '../../support/docker.js';

/** A real container that writes a line to a host file each time it starts: its starts, counted. */
export interface CountedContainer {
  name: string;
  container: Docker.Container;
  /** How many times its process has started (1 before any restart). */
  starts: () => number;
  startedAt: () => Promise<string>;
  remove: () => Promise<void>;
}

export async function startCountedContainer(
  docker: Docker,
  name: string,
  options: { ignoreTerm?: boolean } = {},
): Promise<CountedContainer> {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-starts-'));
  const container = await createTestContainer(docker, name, {
    hostConfig: { Binds: [`${dir}:/count`] },
    onStart: 'echo start >> /count/starts',
    ...options,
  });
  const starts = (): number => {
    try {
      return readFileSync(join(dir, 'starts'), 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  // The first line may land a moment after the engine says the container runs.
  for (let i = 0; i < 50 && starts() === 0; i++) await new Promise((r) => setTimeout(r, 100));
  return {
    name,
    container,
    starts,
    startedAt: async () => (await container.inspect()).State.StartedAt,
    remove: async () => {
      await container.remove({ force: true }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
