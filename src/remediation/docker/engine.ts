import { ApplicationFailure } from '@temporalio/common';
import type Docker from 'dockerode';
import { serviceFilter } from '../../actions/docker.js';
import type { StepOf } from '../../actions/steps.js';
import type { ContainerIdentity } from '../../domain/scope.js';
import { beating } from '../heartbeat.js';

/** The Docker Engine API calls the Docker actions share, with the engines' quirks handled once. */

type ScaleStep = StepOf<'docker.scale'>;
type Endpoint = Docker.ContainerInspectInfo['NetworkSettings']['Networks'][string];

/** What the engine uses when a stop has no timeout of its own (the scale preview shows the same). */
export const DEFAULT_STOP_SECONDS = 10;

interface DockerError {
  statusCode?: number;
  message: string;
}
export const isDockerError = (err: unknown): err is DockerError =>
  typeof err === 'object' && err !== null && 'statusCode' in err;

export function notFound(what: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'ContainerNotFound',
    message: `${what} does not exist`,
    nonRetryable: true,
  });
}

/**
 * Creation order to the nanosecond: replicas made in one burst share their second, and the engines
 * write RFC 3339 with trailing zeros of the fraction dropped, so neither Date nor text compares right.
 */
function compareCreated(a: Docker.ContainerInspectInfo, b: Docker.ContainerInspectInfo): number {
  const parts = (iso: string): [number, number] => {
    const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
    return [Date.parse(iso.replace(/\.\d+/, '')), Number(fraction.padEnd(9, '0').slice(0, 9))];
  };
  const [aSeconds, aNanos] = parts(a.Created);
  const [bSeconds, bNanos] = parts(b.Created);
  return aSeconds - bSeconds || aNanos - bNanos || a.Id.localeCompare(b.Id);
}

export const containerName = (info: Docker.ContainerInspectInfo): string => info.Name.replace(/^\//, '');
export const shortId = (id: string): string => id.slice(0, 12);

/**
 * The container's endpoint on a network. Docker keys endpoints by network name and gives the
 * network's ID in NetworkID; podman 4 gives the name in both, so either may match.
 */
export function endpointOn(
  info: Docker.ContainerInspectInfo,
  network: Docker.NetworkInspectInfo | { Id: string; Name: string },
): Endpoint | undefined {
  const networks = info.NetworkSettings.Networks ?? {};
  return Object.entries(networks).find(
    ([name, endpoint]) => name === network.Name || endpoint.NetworkID === network.Id,
  )?.[1];
}

/**
 * The aliases someone gave the container on a network. Engines add the container's short ID
 * themselves (podman always, older Docker too), and passing it back on reconnect would pin a stale name.
 */
export function aliasesOf(info: Docker.ContainerInspectInfo, endpoint: Endpoint | undefined): string[] {
  const raw: unknown = endpoint?.Aliases;
  if (!Array.isArray(raw)) return [];
  return raw.filter((alias): alias is string => typeof alias === 'string' && alias !== shortId(info.Id));
}

export const identityOf = (info: Docker.ContainerInspectInfo): ContainerIdentity => ({
  id: info.Id,
  name: containerName(info),
  labels: info.Config.Labels ?? {},
});

/** The engine's answer, or undefined when the object it asks about does not exist. */
async function unless404<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (err) {
    if (isDockerError(err) && err.statusCode === 404) return undefined;
    throw err;
  }
}

/** The engine calls of the Docker actions, on one engine. */
export class DockerEngine {
  constructor(readonly docker: Docker) {}

  async inspect(container: string): Promise<Docker.ContainerInspectInfo> {
    const info = await this.find(container);
    if (!info) throw notFound(`container ${container}`);
    return info;
  }

  find(container: string): Promise<Docker.ContainerInspectInfo | undefined> {
    return unless404(this.docker.getContainer(container).inspect());
  }

  async inspectNetwork(network: string): Promise<Docker.NetworkInspectInfo> {
    const info = await unless404(this.docker.getNetwork(network).inspect());
    if (!info) throw notFound(`network ${network}`);
    return info;
  }

  /** Starts or stops a container; false when it already was (the engine answers 304 then). */
  async setRunning(containerId: string, running: boolean, stopSeconds: number): Promise<boolean> {
    const container = this.docker.getContainer(containerId);
    try {
      await beating(running ? container.start() : container.stop({ t: stopSeconds }));
      return true;
    } catch (err) {
      if (isDockerError(err) && err.statusCode === 304) return false;
      if (isDockerError(err) && err.statusCode === 404) throw notFound(`container ${containerId}`);
      throw err;
    }
  }

  /** The containers of a service, oldest first. */
  async replicasOf(step: ScaleStep | Omit<ScaleStep, 'selector'>): Promise<Docker.ContainerInspectInfo[]> {
    const filters = { label: serviceFilter(step) };
    const listed = await this.docker.listContainers({ all: true, filters });
    // A container removed between the list and its inspection is no replica any more.
    const found = await Promise.all(listed.map((c) => this.find(c.Id)));
    return found.filter((info) => info !== undefined).sort(compareCreated);
  }

  // podman before 5 has no Docker-compatible update endpoint; its own API applies the same limits.
  async updateResources(
    containerId: string,
    limits: { memory: number; memorySwap: number; nanoCpus: number },
  ): Promise<void> {
    const { memory, memorySwap, nanoCpus } = limits;
    const container = this.docker.getContainer(containerId);
    const limitsSet = { Memory: memory, MemorySwap: memorySwap, NanoCpus: nanoCpus };
    if (await unless404(container.update(limitsSet).then(() => true))) return;
    const period = 100_000;
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.dial(
        {
          path: `/v4.0.0/libpod/containers/${encodeURIComponent(containerId)}/update?`,
          method: 'POST',
          options: {
            memory: { limit: memory > 0 ? memory : -1, swap: memorySwap !== 0 ? memorySwap : -1 },
            cpu:
              nanoCpus > 0 ? { quota: Math.round((nanoCpus / 1e9) * period), period } : { quota: -1, period },
          },
          statusCodes: { 200: true, 201: true, 204: true, 404: 'no such container', 500: 'server error' },
        },
        (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
      );
    });
  }

  /**
   * Connects or disconnects; false when the container already was. The engines refuse a second
   * connect or disconnect with an error (podman 4: a 500) rather than a 304, so a failure is judged by
   * the state it left.
   */
  async setConnected(
    target: { containerId: string; networkId: string },
    connected: boolean,
    aliases: string[],
  ): Promise<boolean> {
    const { containerId, networkId } = target;
    const network = this.docker.getNetwork(networkId);
    const named = { Id: networkId, Name: (await this.inspectNetwork(networkId)).Name };
    const isConnected = async (): Promise<boolean> =>
      endpointOn(await this.inspect(containerId), named) !== undefined;
    if ((await isConnected()) === connected) return false;
    try {
      if (connected) {
        const EndpointConfig = aliases.length > 0 ? { Aliases: aliases } : undefined;
        await network.connect({ Container: containerId, EndpointConfig });
      } else {
        await network.disconnect({ Container: containerId });
      }
      return true;
    } catch (err) {
      if ((await isConnected()) === connected) return false;
      throw err;
    }
  }
}
