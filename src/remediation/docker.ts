import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type Docker from 'dockerode';
import { containerOf, describeAction, describeLimits, serviceFilter } from '../actions/describe.js';
import { replicasWanted, type ActionEffect, type DockerStep, type TargetSnapshot } from '../actions/steps.js';
import type { ContainerIdentity } from '../domain/scope.js';
import { invalidAction, mismatch, type ActionExecutor, type TargetIdentifier } from './executor.js';

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

/** Marks the containers a scale-up created, so that its compensation removes those and nothing else. */
export const REPLICA_OF_LABEL = 'steadfast.replica-of';

/** What the engine uses when a stop has no timeout of its own (the scale preview shows the same). */
const DEFAULT_STOP_SECONDS = 10;

type ScaleStep = Extract<DockerStep, { action: 'docker.scale' }>;
type ScaleSnapshot = Extract<TargetSnapshot, { action: 'docker.scale' }>;
type NetworkStep = Extract<DockerStep, { action: 'docker.network-disconnect' | 'docker.network-connect' }>;
type NetworkSnapshot = Extract<
  TargetSnapshot,
  { action: 'docker.network-disconnect' | 'docker.network-connect' }
>;
type Endpoint = Docker.ContainerInspectInfo['NetworkSettings']['Networks'][string];

function noReplicas(step: ScaleStep): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'ContainerNotFound',
    message: `no container is labelled ${step.label}=${step.service}, so service ${step.service} has no replicas to scale`,
    nonRetryable: true,
  });
}

/**
 * Engine calls that wait (a stop waits up to its timeout) can outlast the activity's heartbeat
 * timeout, so the activity keeps beating while it waits.
 */
async function beating<T>(work: Promise<T>): Promise<T> {
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

/** The engine's typings leave some string lists untyped; this keeps only what is a list of strings. */
function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;
}

const containerName = (info: Docker.ContainerInspectInfo): string => info.Name.replace(/^\//, '');
const shortId = (id: string): string => id.slice(0, 12);

/** Names for the copies a scale-up creates: fixed by service and number, so a retry finds them. */
function copyName(service: string, n: number): string {
  const base = service.replace(/[^a-zA-Z0-9_.-]/g, '-');
  return `${/^[a-zA-Z0-9]/.test(base) ? base : `s${base}`}-scaled-${n}`;
}

/**
 * The container's endpoint on a network. Docker keys endpoints by network name and gives the
 * network's ID in NetworkID; podman 4 gives the name in both, so either may match.
 */
function endpointOn(
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
function aliasesOf(info: Docker.ContainerInspectInfo, endpoint: Endpoint | undefined): string[] {
  const raw: unknown = endpoint?.Aliases;
  if (!Array.isArray(raw)) return [];
  return raw.filter((alias): alias is string => typeof alias === 'string' && alias !== shortId(info.Id));
}

/**
 * The settings a copy of a replica needs to behave like it. Fields the engine fills in itself are left
 * out: the hostname and HOSTNAME (the old container's ID), the runtime and podman's ulimit names, which
 * Docker would reject.
 */
function copyOptions(
  template: Docker.ContainerInspectInfo,
  name: string,
  service: string,
): { options: Docker.ContainerCreateOptions; extraNetworks: [string, string[]][] } {
  const host = template.HostConfig;
  const config = template.Config;
  const networks = Object.entries(template.NetworkSettings.Networks ?? {});
  const mode = host.NetworkMode ?? '';
  const sharesNamespace = mode === 'host' || mode === 'none' || mode.startsWith('container:');
  // podman 4 reports `bridge` as the mode even for a container on a named network; the endpoints say
  // which network it really is on.
  const primary = sharesNamespace
    ? undefined
    : (networks.find(([network]) => network === mode) ?? networks[0]);
  const primaryAliases = primary ? aliasesOf(template, primary[1]) : [];
  // A fixed host port can be bound only once, and podman reports the port it picked for an ephemeral
  // one as if it were fixed: copies publish the same container ports on ports the engine picks.
  const portBindings = Object.fromEntries(
    Object.entries((host.PortBindings ?? {}) as Record<string, { HostIp?: string }[] | null>).map(
      ([port, bindings]) => [port, (bindings ?? []).map((b) => ({ HostIp: b.HostIp ?? '', HostPort: '' }))],
    ),
  );
  const entrypoint =
    Array.isArray(config.Entrypoint) && config.Entrypoint.length === 0 ? undefined : config.Entrypoint;
  return {
    options: {
      name,
      Image: template.Image,
      Cmd: config.Cmd,
      Entrypoint: entrypoint,
      Env: (config.Env ?? []).filter((e) => !e.startsWith('HOSTNAME=')),
      Labels: { ...config.Labels, [REPLICA_OF_LABEL]: service },
      User: config.User || undefined,
      WorkingDir: config.WorkingDir || undefined,
      ExposedPorts: config.ExposedPorts ?? undefined,
      Healthcheck: config.Healthcheck ?? undefined,
      Tty: config.Tty,
      OpenStdin: config.OpenStdin,
      HostConfig: {
        NetworkMode: primary ? primary[0] : mode || undefined,
        Binds: host.Binds ?? undefined,
        Mounts: host.Mounts ?? undefined,
        VolumesFrom: strings(host.VolumesFrom),
        Tmpfs: host.Tmpfs ?? undefined,
        PortBindings: portBindings,
        RestartPolicy: host.RestartPolicy,
        Memory: host.Memory,
        MemorySwap: host.MemorySwap,
        MemoryReservation: host.MemoryReservation,
        NanoCpus: host.NanoCpus,
        CpuShares: host.CpuShares,
        CpuPeriod: host.CpuPeriod,
        CpuQuota: host.CpuQuota,
        CpusetCpus: host.CpusetCpus,
        PidsLimit: host.PidsLimit,
        ShmSize: host.ShmSize,
        Privileged: host.Privileged,
        ReadonlyRootfs: host.ReadonlyRootfs,
        CapAdd: strings(host.CapAdd),
        CapDrop: strings(host.CapDrop),
        SecurityOpt: strings(host.SecurityOpt),
        Dns: strings(host.Dns),
        DnsSearch: host.DnsSearch ?? undefined,
        DnsOptions: strings(host.DnsOptions),
        ExtraHosts: strings(host.ExtraHosts),
        Init: host.Init ?? undefined,
        LogConfig: host.LogConfig,
      },
      // The default networks take no aliases (Docker refuses them there), so only named ones get any.
      NetworkingConfig:
        primary && primaryAliases.length > 0
          ? { EndpointsConfig: { [primary[0]]: { Aliases: primaryAliases } } }
          : undefined,
    },
    // The create call joins one network; the replica's other networks are joined afterwards.
    extraNetworks: networks
      .filter(([network]) => !sharesNamespace && network !== primary?.[0])
      .map(([network, endpoint]) => [network, aliasesOf(template, endpoint)]),
  };
}

/** Remediation actions on a Docker Engine API (Docker, or podman's compatible service). */
const identityOf = (info: Docker.ContainerInspectInfo): ContainerIdentity => ({
  id: info.Id,
  name: containerName(info),
  labels: info.Config.Labels ?? {},
});

export function createDockerExecutor(
  docker: Docker,
): ActionExecutor<DockerStep> & TargetIdentifier<DockerStep> {
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
  const replicasOf = async (step: ScaleStep): Promise<Docker.ContainerInspectInfo[]> => {
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
    snapshot: NetworkSnapshot,
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

  /** Creates (or finds, after an earlier attempt) the copy of a replica called `name`, and starts it. */
  const startCopy = async (
    step: ScaleStep,
    template: Docker.ContainerInspectInfo,
    name: string,
  ): Promise<'created' | 'started' | 'taken'> => {
    const isReplica = (info: Docker.ContainerInspectInfo): boolean =>
      info.Config.Labels?.[step.label] === step.service;
    const existing = await find(name);
    if (existing) {
      // Someone else's container under this name: leave it alone and use the next number.
      if (!isReplica(existing)) return 'taken';
      await setRunning(existing.Id, true, DEFAULT_STOP_SECONDS);
      return 'started';
    }
    const { options, extraNetworks } = copyOptions(template, name, step.service);
    let id: string;
    try {
      id = (await docker.createContainer(options)).id;
    } catch (err) {
      // A concurrent attempt may have created it first (podman answers 500 for a taken name, not 409).
      const raced = await find(name);
      if (!raced || !isReplica(raced)) throw err;
      id = raced.Id;
    }
    for (const [network, aliases] of extraNetworks) {
      const created = await inspect(id);
      if (endpointOn(created, { Id: network, Name: network })) continue;
      await docker
        .getNetwork(network)
        .connect({ Container: id, EndpointConfig: aliases.length > 0 ? { Aliases: aliases } : undefined });
    }
    await setRunning(id, true, DEFAULT_STOP_SECONDS);
    return 'created';
  };

  const applyScale = async (step: ScaleStep, snapshot: ScaleSnapshot): Promise<ActionEffect> => {
    const replicas = await replicasOf(step);
    const newest = replicas[replicas.length - 1];
    if (!newest) throw noReplicas(step);
    const running = replicas.filter((r) => r.State.Running);
    const from = running.length;
    const wanted = snapshot.wanted;
    if (from === wanted) {
      return { acted: false, summary: `service ${step.service} already runs ${wanted} replicas` };
    }
    const changes: string[] = [];
    if (from > wanted) {
      // The newest go first, and are only stopped: the compensation starts the same containers again.
      for (const replica of running.slice(wanted).reverse()) {
        heartbeat();
        if (await setRunning(replica.Id, false, DEFAULT_STOP_SECONDS))
          changes.push(`stopped ${containerName(replica)}`);
      }
    } else {
      let count = from;
      // Replicas already there are cheaper and keep their identity: start stopped ones, newest first.
      for (const replica of replicas.filter((r) => !r.State.Running).reverse()) {
        if (count >= wanted) break;
        heartbeat();
        await setRunning(replica.Id, true, DEFAULT_STOP_SECONDS);
        changes.push(`started ${containerName(replica)}`);
        count++;
      }
      const names = new Set(replicas.map(containerName));
      // Bounded so that a service whose every candidate name is taken fails instead of looping.
      for (let n = 1; count < wanted && n <= wanted + names.size + 100; n++) {
        const name = copyName(step.service, n);
        if (names.has(name)) continue;
        heartbeat();
        const outcome = await startCopy(step, newest, name);
        if (outcome === 'taken') continue;
        changes.push(`${outcome} ${name}`);
        count++;
      }
      if (count < wanted)
        throw new Error(`found no free container name for a copy of service ${step.service}`);
    }
    return {
      acted: true,
      summary: `scaled service ${step.service} from ${from} to ${wanted} running replicas (${changes.join(', ')})`,
    };
  };

  const compensateScale = async (step: ScaleStep, snapshot: ScaleSnapshot): Promise<ActionEffect> => {
    const live = await replicasOf(step);
    const recorded = new Map(snapshot.replicas.map((r) => [r.id, r]));
    const toStart = live.filter((r) => recorded.get(r.Id)?.running === true && !r.State.Running);
    const toStop = live.filter((r) => recorded.get(r.Id)?.running === false && r.State.Running);
    // Only copies this action made go: a container someone else added since is not ours to remove.
    const toRemove = live.filter(
      (r) => !recorded.has(r.Id) && r.Config.Labels?.[REPLICA_OF_LABEL] === step.service,
    );
    const changes: string[] = [];
    // Capacity first: start before stopping and removing.
    for (const replica of toStart) {
      heartbeat();
      if (await setRunning(replica.Id, true, DEFAULT_STOP_SECONDS))
        changes.push(`started ${containerName(replica)}`);
    }
    for (const replica of toStop) {
      heartbeat();
      if (await setRunning(replica.Id, false, DEFAULT_STOP_SECONDS))
        changes.push(`stopped ${containerName(replica)}`);
    }
    for (const replica of toRemove) {
      try {
        await beating(docker.getContainer(replica.Id).remove({ force: true }));
        changes.push(`removed ${containerName(replica)}`);
      } catch (err) {
        if (!isDockerError(err) || err.statusCode !== 404) throw err;
      }
    }
    const liveIds = new Set(live.map((r) => r.Id));
    const gone = snapshot.replicas.filter((r) => !liveIds.has(r.id)).map((r) => r.name);
    const missing = gone.length > 0 ? `; ${gone.join(', ')} no longer exist` : '';
    if (changes.length === 0) {
      return { acted: false, summary: `service ${step.service} already matches its snapshot${missing}` };
    }
    return {
      acted: true,
      summary: `restored service ${step.service} to ${snapshot.replicas.filter((r) => r.running).length} running replicas (${changes.join(', ')})${missing}`,
    };
  };

  const networkSnapshot = async (step: NetworkStep): Promise<NetworkSnapshot> => {
    const info = await inspect(step.container);
    const network = await inspectNetwork(step.network);
    const endpoint = endpointOn(info, network);
    return {
      action: step.action,
      containerId: info.Id,
      networkId: network.Id,
      connected: endpoint !== undefined,
      aliases: aliasesOf(info, endpoint),
    };
  };

  return {
    /**
     * The container a step names, as the engine resolves the name, ID or ID prefix; for a scale, every
     * container carrying the service label, whatever else it carries, so none escapes the scope check.
     */
    async identify(step: DockerStep) {
      if (step.action === 'docker.scale') {
        const replicas = await replicasOf({ ...step, selector: {} });
        return {
          kind: 'docker-service',
          selector: `${step.label}=${step.service}`,
          replicas: replicas.map(identityOf),
        };
      }
      const container = identityOf(await inspect(step.container));
      if (step.action === 'docker.network-connect' || step.action === 'docker.network-disconnect') {
        const { Id, Name } = await inspectNetwork(step.network);
        return { kind: 'docker-container', container, network: { id: Id, name: Name } };
      }
      return { kind: 'docker-container', container };
    },

    /**
     * Records the target's state before an action: its identity and what the action changes (start
     * time, limits, running state, replicas, network membership).
     */
    async snapshot(step: DockerStep): Promise<TargetSnapshot> {
      switch (step.action) {
        case 'docker.restart': {
          const info = await inspect(step.container);
          return { action: step.action, containerId: info.Id, startedAt: info.State.StartedAt };
        }
        case 'docker.update-resources': {
          const info = await inspect(step.container);
          return {
            action: step.action,
            containerId: info.Id,
            memoryBytes: info.HostConfig.Memory ?? 0,
            memorySwapBytes: info.HostConfig.MemorySwap ?? 0,
            nanoCpus: info.HostConfig.NanoCpus ?? 0,
          };
        }
        case 'docker.stop':
        case 'docker.start': {
          const info = await inspect(step.container);
          return { action: step.action, containerId: info.Id, running: info.State.Running };
        }
        case 'docker.scale': {
          const replicas = await replicasOf(step);
          if (replicas.length === 0) throw noReplicas(step);
          return {
            action: step.action,
            replicas: replicas.map((r) => ({ id: r.Id, name: containerName(r), running: r.State.Running })),
            wanted: replicasWanted(step.replicas, replicas.filter((r) => r.State.Running).length),
          };
        }
        case 'docker.network-disconnect':
        case 'docker.network-connect':
          return networkSnapshot(step);
      }
    },

    async apply(step: DockerStep, snapshot: TargetSnapshot): Promise<ActionEffect> {
      heartbeat();
      if (step.action === 'docker.restart' && snapshot.action === 'docker.restart') {
        const before = await inspect(snapshot.containerId);
        if (before.State.StartedAt !== snapshot.startedAt && before.State.Running) {
          return {
            acted: false,
            summary: `container ${containerOf(step)} was already restarted (up since ${before.State.StartedAt})`,
          };
        }
        const container = docker.getContainer(snapshot.containerId);
        try {
          await container.restart({ t: step.stopTimeoutSeconds });
        } catch (err) {
          // A process that exits just as the stop timeout ends can make the engine's kill fail; the
          // container is then merely stopped, and starting it finishes the restart.
          const now = await inspect(snapshot.containerId);
          if (now.State.Running) throw err;
          await container.start();
        }
        const after = await inspect(snapshot.containerId);
        return {
          acted: true,
          summary: `restarted container ${containerOf(step)} (up since ${after.State.StartedAt})`,
        };
      }
      if (step.action === 'docker.update-resources' && snapshot.action === 'docker.update-resources') {
        const memory = step.memoryBytes ?? snapshot.memoryBytes;
        // Swap is a total of memory plus swap: keep the same headroom as before, or none if unset.
        const swapHeadroom =
          snapshot.memorySwapBytes > 0 ? snapshot.memorySwapBytes - snapshot.memoryBytes : 0;
        const memorySwap =
          step.memoryBytes !== undefined
            ? snapshot.memorySwapBytes === -1
              ? -1
              : memory + Math.max(swapHeadroom, 0)
            : snapshot.memorySwapBytes;
        await updateResources(snapshot.containerId, {
          memory,
          memorySwap,
          nanoCpus: step.nanoCpus ?? snapshot.nanoCpus,
        });
        return {
          acted: true,
          summary: `${describeAction(step)} (was ${describeLimits(snapshot.memoryBytes, snapshot.nanoCpus)})`,
        };
      }
      if (
        (step.action === 'docker.stop' || step.action === 'docker.start') &&
        snapshot.action === step.action
      ) {
        const running = step.action === 'docker.start';
        const stopSeconds = step.action === 'docker.stop' ? step.stopTimeoutSeconds : DEFAULT_STOP_SECONDS;
        const before = await inspect(snapshot.containerId);
        if (
          before.State.Running === running ||
          !(await setRunning(snapshot.containerId, running, stopSeconds))
        ) {
          return {
            acted: false,
            summary: `container ${containerOf(step)} was already ${running ? 'running' : 'stopped'}`,
          };
        }
        return { acted: true, summary: `${running ? 'started' : 'stopped'} container ${containerOf(step)}` };
      }
      if (step.action === 'docker.scale' && snapshot.action === 'docker.scale')
        return applyScale(step, snapshot);
      if (
        (step.action === 'docker.network-disconnect' || step.action === 'docker.network-connect') &&
        snapshot.action === step.action
      ) {
        const connect = step.action === 'docker.network-connect';
        if (!(await setConnected(snapshot, connect, []))) {
          return {
            acted: false,
            summary: `container ${containerOf(step)} was already ${connect ? 'connected to' : 'disconnected from'} network ${step.network}`,
          };
        }
        return {
          acted: true,
          summary: `${connect ? 'connected' : 'disconnected'} container ${containerOf(step)} ${connect ? 'to' : 'from'} network ${step.network}`,
        };
      }
      throw mismatch(step, snapshot);
    },

    /** Restores what the snapshot recorded; only reversible actions are ever compensated. */
    async compensate(step: DockerStep, snapshot: TargetSnapshot): Promise<ActionEffect> {
      heartbeat();
      if (snapshot.action === 'docker.update-resources') {
        await updateResources(snapshot.containerId, {
          memory: snapshot.memoryBytes,
          memorySwap: snapshot.memorySwapBytes,
          nanoCpus: snapshot.nanoCpus,
        });
        return {
          acted: true,
          summary: `restored container ${snapshot.containerId.slice(0, 12)} to ${describeLimits(snapshot.memoryBytes, snapshot.nanoCpus)}`,
        };
      }
      if (
        (step.action === 'docker.stop' || step.action === 'docker.start') &&
        snapshot.action === step.action
      ) {
        const stopSeconds = step.action === 'docker.stop' ? step.stopTimeoutSeconds : DEFAULT_STOP_SECONDS;
        const now = await inspect(snapshot.containerId);
        if (
          now.State.Running === snapshot.running ||
          !(await setRunning(snapshot.containerId, snapshot.running, stopSeconds))
        ) {
          return {
            acted: false,
            summary: `container ${containerOf(step)} was already ${snapshot.running ? 'running' : 'stopped'}`,
          };
        }
        return {
          acted: true,
          summary: `${snapshot.running ? 'started' : 'stopped'} container ${containerOf(step)} again`,
        };
      }
      if (step.action === 'docker.scale' && snapshot.action === 'docker.scale')
        return compensateScale(step, snapshot);
      if (
        (step.action === 'docker.network-disconnect' || step.action === 'docker.network-connect') &&
        snapshot.action === step.action
      ) {
        const where = `network ${step.network}`;
        if (!(await setConnected(snapshot, snapshot.connected, snapshot.aliases))) {
          return {
            acted: false,
            summary: `container ${containerOf(step)} was already ${snapshot.connected ? 'connected to' : 'disconnected from'} ${where}`,
          };
        }
        const aliases = snapshot.aliases.length > 0 ? ` with aliases ${snapshot.aliases.join(', ')}` : '';
        return {
          acted: true,
          summary: snapshot.connected
            ? `reconnected container ${containerOf(step)} to ${where}${aliases}`
            : `disconnected container ${containerOf(step)} from ${where} again`,
        };
      }
      if (snapshot.action !== step.action) throw mismatch(step, snapshot);
      throw invalidAction(`${describeAction(step)} cannot be undone`);
    },
  };
}
