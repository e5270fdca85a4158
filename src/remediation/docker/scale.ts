import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type Docker from 'dockerode';
import { replicasWanted, type ActionEffect, type SnapshotOf, type StepOf } from '../../actions/steps.js';
import type { ActionHandler } from '../handler.js';
import {
  aliasesOf,
  containerName,
  DEFAULT_STOP_SECONDS,
  endpointOn,
  identityOf,
  isDockerError,
  type DockerEngine,
} from './engine.js';
import { beating } from '../heartbeat.js';
import { messageOf } from '../../lib/message-of.js';

/**
 * docker.scale: a service's replicas are its containers; scaling up starts stopped ones or creates copies
 * of the newest, scaling down stops the newest, and the compensation returns each to what was recorded.
 */

type ScaleStep = StepOf<'docker.scale'>;
type ScaleSnapshot = SnapshotOf<'docker.scale'>;

/** Marks the containers a scale-up created, so that its compensation removes those and nothing else. */
export const REPLICA_OF_LABEL = 'steadfast.replica-of';

function noReplicas(step: ScaleStep): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'ContainerNotFound',
    message: `no container is labelled ${step.label}=${step.service}, so service ${step.service} has no replicas to scale`,
    nonRetryable: true,
  });
}

/** The engine's typings leave some string lists untyped; this keeps only what is a list of strings. */
function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;
}

/** Names for the copies a scale-up creates: fixed by service and number, so a retry finds them. */
function copyName(service: string, n: number): string {
  const base = service.replace(/[^a-zA-Z0-9_.-]/g, '-');
  return `${/^[a-zA-Z0-9]/.test(base) ? base : `s${base}`}-scaled-${n}`;
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

/** Creates (or finds, after an earlier attempt) the copy of a replica called `name`, and starts it. */
async function startCopy(
  engine: DockerEngine,
  step: ScaleStep,
  template: Docker.ContainerInspectInfo,
  name: string,
): Promise<'created' | 'started' | 'taken'> {
  const isReplica = (info: Docker.ContainerInspectInfo): boolean =>
    info.Config.Labels?.[step.label] === step.service;
  const existing = await engine.find(name);
  if (existing) {
    // Someone else's container under this name: leave it alone and use the next number.
    if (!isReplica(existing)) return 'taken';
    await engine.setRunning(existing.Id, true, DEFAULT_STOP_SECONDS);
    return 'started';
  }
  const { options, extraNetworks } = copyOptions(template, name, step.service);
  let id: string;
  try {
    id = (await engine.docker.createContainer(options)).id;
  } catch (err) {
    // A concurrent attempt may have created it first (podman answers 500 for a taken name, not 409).
    const raced = await engine.find(name);
    if (!raced || !isReplica(raced)) throw err;
    id = raced.Id;
  }
  for (const [network, aliases] of extraNetworks) {
    const created = await engine.inspect(id);
    if (endpointOn(created, { Id: network, Name: network })) continue;
    await engine.docker
      .getNetwork(network)
      .connect({ Container: id, EndpointConfig: aliases.length > 0 ? { Aliases: aliases } : undefined });
  }
  await engine.setRunning(id, true, DEFAULT_STOP_SECONDS);
  return 'created';
}

async function applyScale(
  engine: DockerEngine,
  step: ScaleStep,
  snapshot: ScaleSnapshot,
): Promise<ActionEffect> {
  const replicas = await engine.replicasOf(step);
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
      if (await engine.setRunning(replica.Id, false, DEFAULT_STOP_SECONDS))
        changes.push(`stopped ${containerName(replica)}`);
    }
  } else {
    let count = from;
    // Replicas already there are cheaper and keep their identity: start stopped ones, newest first.
    for (const replica of replicas.filter((r) => !r.State.Running).reverse()) {
      if (count >= wanted) break;
      heartbeat();
      await engine.setRunning(replica.Id, true, DEFAULT_STOP_SECONDS);
      changes.push(`started ${containerName(replica)}`);
      count++;
    }
    const names = new Set(replicas.map(containerName));
    // Bounded so that a service whose every candidate name is taken fails instead of looping.
    for (let n = 1; count < wanted && n <= wanted + names.size + 100; n++) {
      const name = copyName(step.service, n);
      if (names.has(name)) continue;
      heartbeat();
      const outcome = await startCopy(engine, step, newest, name);
      if (outcome === 'taken') continue;
      changes.push(`${outcome} ${name}`);
      count++;
    }
    if (count < wanted) throw new Error(`found no free container name for a copy of service ${step.service}`);
  }
  return {
    acted: true,
    summary: `scaled service ${step.service} from ${from} to ${wanted} running replicas (${changes.join(', ')})`,
  };
}

async function compensateScale(
  engine: DockerEngine,
  step: ScaleStep,
  snapshot: ScaleSnapshot,
): Promise<ActionEffect> {
  const live = await engine.replicasOf(step);
  const recorded = new Map(snapshot.replicas.map((r) => [r.id, r]));
  // Only what this action did is undone. Scaling up it only started replicas and made copies; scaling
  // down it only stopped some. A replica someone else stopped or started since is theirs: starting again
  // one that another incident stopped undid that incident's decision.
  const scaledUp = snapshot.wanted > snapshot.replicas.filter((r) => r.running).length;
  const toStart = scaledUp
    ? []
    : live.filter((r) => recorded.get(r.Id)?.running === true && !r.State.Running);
  const toStop = scaledUp ? live.filter((r) => recorded.get(r.Id)?.running === false && r.State.Running) : [];
  // Only copies this action made go: a container someone else added since is not ours to remove.
  const toRemove = live.filter(
    (r) => !recorded.has(r.Id) && r.Config.Labels?.[REPLICA_OF_LABEL] === step.service,
  );
  const changes: string[] = [];
  const failures: string[] = [];
  // Each replica on its own: one the engine cannot move (wedged in "Stopping") must not leave the
  // copies running. What failed is said, and the compensation fails after doing the rest.
  const attempt = async (
    what: string,
    replica: Docker.ContainerInspectInfo,
    change: () => Promise<boolean>,
  ) => {
    heartbeat();
    try {
      if (await change()) changes.push(`${what} ${containerName(replica)}`);
    } catch (err) {
      failures.push(`${containerName(replica)} could not be ${what}: ${messageOf(err)}`);
    }
  };
  // Capacity first: start before stopping and removing.
  for (const replica of toStart) {
    await attempt('started', replica, () => engine.setRunning(replica.Id, true, DEFAULT_STOP_SECONDS));
  }
  for (const replica of toStop) {
    await attempt('stopped', replica, () => engine.setRunning(replica.Id, false, DEFAULT_STOP_SECONDS));
  }
  for (const replica of toRemove) {
    await attempt('removed', replica, async () => {
      try {
        await beating(engine.docker.getContainer(replica.Id).remove({ force: true }));
        return true;
      } catch (err) {
        if (!isDockerError(err) || err.statusCode !== 404) throw err;
        return false;
      }
    });
  }
  if (failures.length > 0) {
    const done = changes.length > 0 ? ` (done: ${changes.join(', ')})` : '';
    throw new Error(`service ${step.service} was not fully restored: ${failures.join('; ')}${done}`);
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
}

export function scaleHandler(engine: DockerEngine): ActionHandler<'docker.scale'> {
  return {
    /** Every container carrying the service label, whatever else it carries, so none escapes the scope check. */
    async identify(step) {
      const replicas = await engine.replicasOf({ ...step, selector: {} });
      return {
        kind: 'docker-service',
        selector: `${step.label}=${step.service}`,
        replicas: replicas.map(identityOf),
      };
    },
    async snapshot(step) {
      const replicas = await engine.replicasOf(step);
      if (replicas.length === 0) throw noReplicas(step);
      return {
        action: step.action,
        replicas: replicas.map((r) => ({ id: r.Id, name: containerName(r), running: r.State.Running })),
        wanted: replicasWanted(step.replicas, replicas.filter((r) => r.State.Running).length),
      };
    },
    apply(step, snapshot) {
      heartbeat();
      return applyScale(engine, step, snapshot);
    },
    compensate(step, snapshot) {
      heartbeat();
      return compensateScale(engine, step, snapshot);
    },
  };
}
