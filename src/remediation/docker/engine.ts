import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type Docker from 'dockerode';
import { serviceFilter } from '../../actions/docker.js';
import type { StepOf } from '../../actions/steps.js';
import type { ContainerIdentity } from '../../domain/scope.js';

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
 * Engine calls that wait (a stop waits up to its timeout) can outlast the activity's heartbeat
 * timeout, so the activity keeps beating while it waits.
 */
export async function beating<T>(work: Promise<T>): Promise<T> {
  heartbeat();
  const timer = setInterval(() => heartbeat(), 5_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
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

/** The engine calls of the Docker actions, on one engine. */
export function dockerEngine(docker: Docker) {
  const inspect = async (container: string): Promise<Docker.ContainerInspectInfo> => {
    try {
      return await docker.getContainer(container).inspect();
    } catch (err) {
      if (isDockerError(err) && err.statusCode === 404) throw notFound(`container ${container}`);
      throw err;
    }
  };
  // podman before 5 has no Docker-compatible update endpoint; its own API applies the same limits.
  const updateResources = async (
    containerId: string,
    limits: { memory: number; memorySwap: number; nanoCpus: number },
  ): Promise<void> => {
    try {
      await docker
        .getContainer(containerId)
        .update({ Memory: limits.memory, MemorySwap: limits.memorySwap, NanoCpus: limits.nanoCpus });
      return;
    } catch (err) {
      if (!isDockerError(err) || err.statusCode !== 404) throw err;
    }
    const period = 100_000;
    await new Promise<void>((resolve, reject) => {
      docker.modem.dial(
        {
          path: `/v4.0.0/libpod/containers/${encodeURIComponent(containerId)}/update?`,
          method: 'POST',
          options: {
            memory: {
              limit: limits.memory > 0 ? limits.memory : -1,
              swap: limits.memorySwap !== 0 ? limits.memorySwap : -1,
            },
            cpu:
              limits.nanoCpus > 0
                ? { quota: Math.round((limits.nanoCpus / 1e9) * period), period }
                : { quota: -1, period },
          },
          statusCodes: { 200: true, 201: true, 204: true, 404: 'no such container', 500: 'server error' },
        },
        (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
      );
    });
  };
  const find = async (container: string): Promise<Docker.ContainerInspectInfo | undefined> => {
    try {
      return await docker.getContainer(container).inspect();
    } catch (err) {
      if (isDockerError(err) && err.statusCode === 404) return undefined;
      throw err;
    }
  };
  /** Starts or stops a container; false when it already was (the engine answers 304 then). */
  const setRunning = async (containerId: string, running: boolean, stopSeconds: number): Promise<boolean> => {
    const container = docker.getContainer(containerId);
    try {
      await beating(running ? container.start() : container.stop({ t: stopSeconds }));
      return true;
    } catch (err) {
      if (isDockerError(err) && err.statusCode === 304) return false;
      if (isDockerError(err) && err.statusCode === 404) throw notFound(`container ${containerId}`);
      throw err;
    }
  };
  /** The containers of a service, oldest first. */
  const replicasOf = async (
    step: ScaleStep | Omit<ScaleStep, 'selector'>,
  ): Promise<Docker.ContainerInspectInfo[]> => {
    const listed = await docker.listContainers({ all: true, filters: { label: serviceFilter(step) } });
    // A container removed between the list and its inspection is no replica any more.
    const found = await Promise.all(listed.map((c) => find(c.Id)));
    return found.filter((info) => info !== undefined).sort(compareCreated);
  };
  const inspectNetwork = async (network: string): Promise<Docker.NetworkInspectInfo> => {
    try {
      return await docker.getNetwork(network).inspect();
    } catch (err) {
      if (isDockerError(err) && err.statusCode === 404) throw notFound(`network ${network}`);
      throw err;
    }
  };
  /**
   * Connects or disconnects; false when the container already was. The engines refuse a second
   * connect or disconnect with an error (podman 4: a 500) rather than a 304, so a failure is judged by
   * the state it left.
   */
  const setConnected = async (
    snapshot: { containerId: string; networkId: string },
    connected: boolean,
    aliases: string[],
  ): Promise<boolean> => {
    const network = docker.getNetwork(snapshot.networkId);
    const target = { Id: snapshot.networkId, Name: (await inspectNetwork(snapshot.networkId)).Name };
    const before = await inspect(snapshot.containerId);
    if ((endpointOn(before, target) !== undefined) === connected) return false;
    try {
      if (connected) {
        await network.connect({
          Container: snapshot.containerId,
          EndpointConfig: aliases.length > 0 ? { Aliases: aliases } : undefined,
        });
      } else {
        await network.disconnect({ Container: snapshot.containerId });
      }
      return true;
    } catch (err) {
      const after = await inspect(snapshot.containerId);
      if ((endpointOn(after, target) !== undefined) === connected) return false;
      throw err;
    }
  };
  return { docker, inspect, updateResources, find, setRunning, replicasOf, inspectNetwork, setConnected };
}

export type DockerEngine = ReturnType<typeof dockerEngine>;
