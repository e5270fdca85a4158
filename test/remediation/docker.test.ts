import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { ActionEffect, DockerStep, ReplicaTarget, TargetSnapshot } from '../../src/actions/steps.js';
import { dockerRunner } from '../../src/remediation/docker/actions.js';
import { REPLICA_OF_LABEL } from '../../src/remediation/docker/scale.js';
import { createTestContainer, startTestContainer, testDocker } from '../support/docker.js';

const docker = testDocker();
const executor = dockerRunner(docker);
const runId = inject('testRunId');
// Container names are global to the engine's storage: a run's own prefix keeps parallel runs apart.
const prefix = `steadfast-test-rem-${runId.slice(0, 8)}`;
const networkName = `steadfast-test-net-${runId}`;
const serviceLabel = 'steadfast.test-service';
const services: string[] = [];

/**
 * heartbeat() needs an activity context, as the worker gives the real activities. Expected failures
 * would each log a warning; errors still show.
 */
let heartbeats = 0;
function inActivity<R>(fn: () => Promise<R>): Promise<R> {
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  env.on('heartbeat', () => heartbeats++);
  return env.run(fn);
}
const snapshot = (step: DockerStep): Promise<TargetSnapshot> =>
  inActivity(() => executor.snapshot(step, 'test'));
const apply = (step: DockerStep, snap: TargetSnapshot): Promise<ActionEffect> =>
  inActivity(() => executor.apply(step, snap));
const compensate = (step: DockerStep, snap: TargetSnapshot): Promise<ActionEffect> =>
  inActivity(() => executor.compensate(step, snap));

async function replicas(service: string): Promise<Docker.ContainerInspectInfo[]> {
  const listed = await docker.listContainers({
    all: true,
    filters: { label: [`${serviceLabel}=${service}`] },
  });
  const infos = await Promise.all(listed.map((c) => docker.getContainer(c.Id).inspect()));
  return infos.sort((a, b) => a.Name.localeCompare(b.Name));
}
const runningNames = (infos: Docker.ContainerInspectInfo[]): string[] =>
  infos.filter((i) => i.State.Running).map((i) => i.Name.replace(/^\//, ''));

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

let network: Docker.NetworkInspectInfo;

beforeAll(async () => {
  await docker
    .getNetwork(networkName)
    .remove()
    .catch(() => undefined);
  const created = await docker.createNetwork({ Name: networkName, Labels: { 'steadfast.test': runId } });
  network = await created.inspect();
});

afterAll(async () => {
  // Only this file's containers: other files of the same run share the run's label.
  const mine = await docker.listContainers({ all: true, filters: { label: [`steadfast.test=${runId}`] } });
  const ours = mine.filter(
    (c) =>
      c.Names.some((n) => n.startsWith(`/${prefix}`)) ||
      services.includes(c.Labels[serviceLabel] ?? '') ||
      services.includes(c.Labels[REPLICA_OF_LABEL] ?? ''),
  );
  await Promise.all(
    ours.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  await docker
    .getNetwork(networkName)
    .remove()
    .catch(() => undefined);
});

describe('docker.stop and docker.start', () => {
  it('stops a running container once and starts it again on compensation', async () => {
    const name = `${prefix}-stop`;
    const container = await startTestContainer(docker, name);
    const step: DockerStep = { action: 'docker.stop', container: name, stopTimeoutSeconds: 5 };

    const snap = await snapshot(step);
    expect(snap).toEqual({ action: 'docker.stop', containerId: container.id, running: true });

    const first = await apply(step, snap);
    expect(first.acted).toBe(true);
    const stopped = await container.inspect();
    expect(stopped.State.Running).toBe(false);

    const again = await apply(step, snap);
    expect(again.acted).toBe(false);
    expect((await container.inspect()).State.FinishedAt).toBe(stopped.State.FinishedAt);

    const undo = await compensate(step, snap);
    expect(undo.acted).toBe(true);
    expect((await container.inspect()).State.Running).toBe(true);
    expect((await compensate(step, snap)).acted).toBe(false);
  });

  it('starts a stopped container once and stops it again on compensation', async () => {
    const name = `${prefix}-start`;
    const container = await createTestContainer(docker, name, { start: false });
    const step: DockerStep = { action: 'docker.start', container: name };

    const snap = await snapshot(step);
    expect(snap).toEqual({ action: 'docker.start', containerId: container.id, running: false });

    expect((await apply(step, snap)).acted).toBe(true);
    const started = await container.inspect();
    expect(started.State.Running).toBe(true);

    const again = await apply(step, snap);
    expect(again.acted).toBe(false);
    const after = await container.inspect();
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).toBe(started.State.StartedAt);

    expect((await compensate(step, snap)).acted).toBe(true);
    expect((await container.inspect()).State.Running).toBe(false);
  });

  it('reports an unknown container as ContainerNotFound, not to be retried', async () => {
    const err = await failure(
      snapshot({ action: 'docker.stop', container: `${prefix}-missing`, stopTimeoutSeconds: 1 }),
    );
    expect(err.type).toBe('ContainerNotFound');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain(`${prefix}-missing`);
  });

  it('reports a container removed after its snapshot as ContainerNotFound', async () => {
    const name = `${prefix}-gone`;
    const container = await startTestContainer(docker, name);
    const step: DockerStep = { action: 'docker.stop', container: name, stopTimeoutSeconds: 1 };
    const snap = await snapshot(step);
    await container.remove({ force: true });
    const err = await failure(apply(step, snap));
    expect(err.type).toBe('ContainerNotFound');
    expect(err.nonRetryable).toBe(true);
  });
});

describe('docker.scale', () => {
  /** A scale of the test service `service` to `replicas`. */
  const scaleStep = (service: string, replicas: ReplicaTarget): DockerStep => ({
    action: 'docker.scale',
    label: serviceLabel,
    service,
    replicas,
  });

  /** A service of replicas (running or not) on the test network, with the service's name as their alias. */
  async function service(
    suffix: string,
    running: boolean[],
    hostConfig: Docker.HostConfig = {},
  ): Promise<{ service: string; ids: string[] }> {
    const name = `${prefix}-${suffix}`;
    services.push(name);
    const ids: string[] = [];
    for (const [i, run] of running.entries()) {
      const container = await createTestContainer(docker, `${name}-${i + 1}`, {
        labels: { [serviceLabel]: name },
        hostConfig: { ...hostConfig, NetworkMode: networkName },
        networkingConfig: { EndpointsConfig: { [networkName]: { Aliases: [name] } } },
        start: run,
      });
      ids.push(container.id);
    }
    return { service: name, ids };
  }

  it('scales up by starting stopped replicas, then creating copies of the newest, and undoes it', async () => {
    const { service: name, ids } = await service('up', [true, false], { Memory: 64 * 1024 * 1024 });
    const step = scaleStep(name, { absolute: 3, min: 1, max: 5 });

    const snap = await snapshot(step);
    expect(snap).toEqual({
      action: 'docker.scale',
      replicas: [
        { id: ids[0], name: `${name}-1`, running: true },
        { id: ids[1], name: `${name}-2`, running: false },
      ],
      wanted: 3,
    });

    const first = await apply(step, snap);
    expect(first.acted).toBe(true);
    const scaled = await replicas(name);
    expect(scaled.map((r) => r.Name)).toEqual([`/${name}-1`, `/${name}-2`, `/${name}-scaled-1`]);
    expect(runningNames(scaled)).toHaveLength(3);

    const copy = scaled[2]!;
    const original = scaled[1]!;
    expect(copy.Config.Labels[REPLICA_OF_LABEL]).toBe(name);
    expect(copy.Config.Labels['steadfast.test']).toBe(runId);
    expect(copy.Config.Cmd).toEqual(original.Config.Cmd);
    expect(copy.Image).toBe(original.Image);
    expect(copy.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(copy.Config.Env).not.toContain(`HOSTNAME=${original.Id.slice(0, 12)}`);
    // The copy answers to the service's name on the service's network, as the replicas do.
    const endpoint = copy.NetworkSettings.Networks[networkName];
    expect(endpoint).toBeDefined();
    expect(endpoint?.Aliases).toContain(name);

    const startedAt = scaled.map((r) => r.State.StartedAt);
    const again = await apply(step, snap);
    expect(again.acted).toBe(false);
    const unchanged = await replicas(name);
    expect(unchanged.map((r) => r.Id)).toEqual(scaled.map((r) => r.Id));
    expect(unchanged.map((r) => r.State.StartedAt)).toEqual(startedAt);

    // An attempt that died between creating a copy and starting it: the retry starts that copy.
    await docker.getContainer(copy.Id).stop({ t: 1 });
    const retried = await apply(step, snap);
    expect(retried.acted).toBe(true);
    const converged = await replicas(name);
    expect(converged.map((r) => r.Id)).toEqual(scaled.map((r) => r.Id));
    expect(runningNames(converged)).toHaveLength(3);

    const undo = await compensate(step, snap);
    expect(undo.acted).toBe(true);
    const restored = await replicas(name);
    expect(restored.map((r) => r.Id)).toEqual(ids);
    expect(runningNames(restored)).toEqual([`${name}-1`]);
    expect((await compensate(step, snap)).acted).toBe(false);
  });

  it('when a replica is stopped by someone else after a scale-up, then the undo removes its copies and leaves that replica stopped', async () => {
    const { service: name, ids } = await service('up-other', [true]);
    const step = scaleStep(name, { absolute: 2, min: 1, max: 5 });
    const snap = await snapshot(step);
    await apply(step, snap);
    expect((await replicas(name)).map((r) => r.Name)).toEqual([`/${name}-1`, `/${name}-scaled-1`]);
    // Another incident, or a person, stops the original meanwhile: that was not this action's doing.
    await docker.getContainer(ids[0] ?? '').stop({ t: 1 });

    const undo = await compensate(step, snap);

    expect(undo.summary).toContain(`removed ${name}-scaled-1`);
    const after = await replicas(name);
    expect(after.map((r) => r.Id)).toEqual(ids);
    expect(runningNames(after)).toEqual([]);
  });

  it('scales down by stopping the newest replicas, never removing them, and starts them again on undo', async () => {
    const { service: name, ids } = await service('down', [true, true, true]);
    const step = scaleStep(name, { delta: -2, min: 1, max: 5 });

    const snap = await snapshot(step);
    expect(snap).toMatchObject({ action: 'docker.scale', wanted: 1 });

    const beatsBefore = heartbeats;
    expect((await apply(step, snap)).acted).toBe(true);
    // One beat per replica at least: stops wait, and the activity must not look dead meanwhile.
    expect(heartbeats - beatsBefore).toBeGreaterThanOrEqual(2);
    const scaled = await replicas(name);
    expect(scaled.map((r) => r.Id)).toEqual(ids);
    expect(runningNames(scaled)).toEqual([`${name}-1`]);

    const again = await apply(step, snap);
    expect(again.acted).toBe(false);
    expect((await replicas(name)).map((r) => r.State.FinishedAt)).toEqual(
      scaled.map((r) => r.State.FinishedAt),
    );

    expect((await compensate(step, snap)).acted).toBe(true);
    const restored = await replicas(name);
    expect(restored.map((r) => r.Id)).toEqual(ids);
    expect(runningNames(restored)).toHaveLength(3);
  });

  it('joins a copy to every network of its replica, and skips a name an unrelated container holds', async () => {
    const { service: name, ids } = await service('multi', [true]);
    await docker.getNetwork('podman').connect({ Container: ids[0] });
    // Not labelled as a replica: the scale must neither use nor remove it.
    const squatter = await createTestContainer(docker, `${name}-scaled-1`);
    const step = scaleStep(name, { delta: 1, min: 1, max: 3 });

    const snap = await snapshot(step);
    expect((await apply(step, snap)).acted).toBe(true);
    const scaled = await replicas(name);
    expect(scaled.map((r) => r.Name)).toEqual([`/${name}-1`, `/${name}-scaled-2`]);
    const copy = scaled[1]!;
    expect(Object.keys(copy.NetworkSettings.Networks).sort()).toEqual(['podman', networkName].sort());
    expect(copy.NetworkSettings.Networks[networkName]?.Aliases).toContain(name);
    expect((await apply(step, snap)).acted).toBe(false);

    expect((await compensate(step, snap)).acted).toBe(true);
    expect((await replicas(name)).map((r) => r.Id)).toEqual(ids);
    expect((await squatter.inspect()).State.Running).toBe(true);
  });

  it('keeps within the bounds: a delta below the minimum stops nothing', async () => {
    const { service: name } = await service('bounded', [true]);
    const step = scaleStep(name, { delta: -1, min: 1, max: 3 });
    const snap = await snapshot(step);
    expect(snap).toMatchObject({ wanted: 1 });
    expect((await apply(step, snap)).acted).toBe(false);
    expect(runningNames(await replicas(name))).toEqual([`${name}-1`]);
  });

  it('reports a service without containers as ContainerNotFound, not to be retried', async () => {
    const err = await failure(snapshot(scaleStep(`${prefix}-nothing`, { delta: 1, min: 1, max: 3 })));
    expect(err.type).toBe('ContainerNotFound');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain(`${serviceLabel}=${prefix}-nothing`);
  });
});

describe('docker.network-disconnect and docker.network-connect', () => {
  it('disconnects a container once and reconnects it with its aliases on compensation', async () => {
    const name = `${prefix}-net-off`;
    const container = await createTestContainer(docker, name, {
      hostConfig: { NetworkMode: networkName },
      networkingConfig: { EndpointsConfig: { [networkName]: { Aliases: ['api', 'api-primary'] } } },
    });
    const step: DockerStep = { action: 'docker.network-disconnect', container: name, network: networkName };

    const snap = await snapshot(step);
    expect(snap).toEqual({
      action: 'docker.network-disconnect',
      containerId: container.id,
      networkId: network.Id,
      connected: true,
      aliases: ['api', 'api-primary'],
    });

    expect((await apply(step, snap)).acted).toBe(true);
    expect((await container.inspect()).NetworkSettings.Networks[networkName]).toBeUndefined();
    expect((await apply(step, snap)).acted).toBe(false);

    expect((await compensate(step, snap)).acted).toBe(true);
    const endpoint = (await container.inspect()).NetworkSettings.Networks[networkName];
    expect(endpoint).toBeDefined();
    expect(endpoint?.Aliases).toEqual(expect.arrayContaining(['api', 'api-primary']));
    expect((await compensate(step, snap)).acted).toBe(false);
  });

  it('connects a container once, by network ID too, and disconnects it on compensation', async () => {
    const name = `${prefix}-net-on`;
    const container = await startTestContainer(docker, name);
    const step: DockerStep = { action: 'docker.network-connect', container: name, network: network.Id };

    const snap = await snapshot(step);
    expect(snap).toEqual({
      action: 'docker.network-connect',
      containerId: container.id,
      networkId: network.Id,
      connected: false,
      aliases: [],
    });

    expect((await apply(step, snap)).acted).toBe(true);
    expect((await container.inspect()).NetworkSettings.Networks[networkName]).toBeDefined();
    expect((await apply(step, snap)).acted).toBe(false);

    expect((await compensate(step, snap)).acted).toBe(true);
    expect((await container.inspect()).NetworkSettings.Networks[networkName]).toBeUndefined();
    expect((await container.inspect()).State.Running).toBe(true);
  });

  it('reports an unknown network as ContainerNotFound, not to be retried', async () => {
    const name = `${prefix}-net-unknown`;
    await startTestContainer(docker, name);
    const err = await failure(
      snapshot({ action: 'docker.network-connect', container: name, network: `${prefix}-no-such-network` }),
    );
    expect(err.type).toBe('ContainerNotFound');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('network');
  });
});

describe('mismatched snapshots', () => {
  it('refuses a snapshot recorded for another action', async () => {
    const err = await failure(
      apply(
        { action: 'docker.start', container: `${prefix}-any` },
        { action: 'docker.stop', containerId: 'x', running: true },
      ),
    );
    expect(err.type).toBe('InvalidAction');
  });
});
