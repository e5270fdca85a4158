import { randomUUID } from 'node:crypto';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesStep, TargetSnapshot } from '../../src/actions/steps.js';
import type { ActionRunner } from '../../src/remediation/handler.js';
import { parseQuantity } from '../../src/remediation/kubernetes/api.js';
import { kubernetesRunner } from '../../src/remediation/kubernetes/actions.js';
import { startLocalCluster, type LocalCluster } from '../support/kubernetes.js';

let heartbeats = 0;
/** Heartbeats need an activity context, as the executor only ever runs inside activities. */
const inActivity = <T>(fn: () => Promise<T>): Promise<T> => {
  // Failures are what several tests expect: the environment need not log each as a warning.
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  env.on('heartbeat', () => heartbeats++);
  return env.run(fn);
};

// Real images, so that the same tests also make sense on a cluster with kubelets.
const IMAGE_1 = 'registry.k8s.io/pause:3.9';
const IMAGE_2 = 'registry.k8s.io/pause:3.10';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Target {
  kc: KubeConfig;
  namespace: string;
}

/** The deployment actions, on any cluster: each test makes its own deployment in the test namespace. */
function deploymentTests(target: () => Target): void {
  let apps: AppsV1Api;
  let executor: ActionRunner<KubernetesStep>;
  let namespace: string;
  beforeAll(() => {
    apps = target().kc.makeApiClient(AppsV1Api);
    executor = kubernetesRunner(target().kc);
    namespace = target().namespace;
  });

  const snapshot = (step: KubernetesStep) => inActivity(() => executor.snapshot(step, randomUUID()));
  const apply = (step: KubernetesStep, s: TargetSnapshot) => inActivity(() => executor.apply(step, s));
  const compensate = (step: KubernetesStep, s: TargetSnapshot) =>
    inActivity(() => executor.compensate(step, s));
  const read = (name: string) => apps.readNamespacedDeployment({ name, namespace });

  async function createDeployment(name: string): Promise<V1Deployment> {
    return apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name }, annotations: { 'steadfast.test/kept': 'yes' } },
            spec: {
              containers: [
                { name: 'app', image: IMAGE_1, resources: { requests: { cpu: '100m' } } },
                { name: 'sidecar', image: IMAGE_1 },
              ],
            },
          },
        },
      },
    });
  }

  /** Waits until the deployment controller has recorded `revision` on the deployment. */
  const revision = (name: string, wanted: string) =>
    waitFor(`revision ${wanted} of ${name}`, async () => {
      const d = await read(name);
      return d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === wanted ? d : undefined;
    });

  it('scales a deployment through its scale subresource, once, and back', async () => {
    await createDeployment('scale');
    const step: KubernetesStep = {
      action: 'k8s.scale',
      namespace,
      deployment: 'scale',
      replicas: { delta: 2, min: 1, max: 5 },
    };
    const beats = heartbeats;
    const s = await snapshot(step);
    expect(s).toEqual({ action: 'k8s.scale', replicas: 1, wanted: 3 });
    expect(heartbeats).toBeGreaterThan(beats);

    expect(await apply(step, s)).toMatchObject({ acted: true });
    expect((await read('scale')).spec?.replicas).toBe(3);
    expect(await apply(step, s)).toMatchObject({ acted: false });
    expect((await read('scale')).spec?.replicas).toBe(3);

    expect(await compensate(step, s)).toMatchObject({ acted: true });
    expect((await read('scale')).spec?.replicas).toBe(1);
    expect(await compensate(step, s)).toMatchObject({ acted: false });
  });

  it('restarts a rollout with the time chosen at the snapshot, so a retry does not roll twice', async () => {
    await createDeployment('restart');
    const step: KubernetesStep = { action: 'k8s.rollout-restart', namespace, deployment: 'restart' };
    const before = await read('restart');
    const s = await snapshot(step);
    expect(s).toMatchObject({ action: 'k8s.rollout-restart', generation: before.metadata?.generation });
    if (s.action !== 'k8s.rollout-restart') throw new Error('unexpected snapshot');

    expect(await apply(step, s)).toMatchObject({ acted: true });
    const after = await read('restart');
    expect(after.spec?.template.metadata?.annotations).toEqual({
      'steadfast.test/kept': 'yes',
      'kubectl.kubernetes.io/restartedAt': s.restartedAt,
    });
    expect(after.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 1);

    expect(await apply(step, s)).toMatchObject({ acted: false });
    expect((await read('restart')).metadata?.generation).toBe(after.metadata?.generation);
    await expect(compensate(step, s)).rejects.toMatchObject({ type: 'InvalidAction', nonRetryable: true });
  });

  it('rolls a deployment back to the previous revision, once, and forward again', async () => {
    await createDeployment('rollback');
    await revision('rollback', '1');
    await apps.patchNamespacedDeployment(
      {
        name: 'rollback',
        namespace,
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: IMAGE_2 }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await revision('rollback', '2');
    await waitFor('two replica sets', async () => {
      const list = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=rollback' });
      return list.items.length === 2 ? list : undefined;
    });

    const step: KubernetesStep = { action: 'k8s.rollback', namespace, deployment: 'rollback' };
    const s = await snapshot(step);
    if (s.action !== 'k8s.rollback') throw new Error('unexpected snapshot');
    expect(s).toMatchObject({ fromRevision: '2', toRevision: '1' });
    const to = JSON.parse(s.toTemplate) as { metadata: { labels: Record<string, string> } };
    expect(to.metadata.labels).toEqual({ app: 'rollback' });

    expect(await apply(step, s)).toMatchObject({ acted: true });
    const images = async () =>
      (await read('rollback')).spec?.template.spec?.containers.map((c) => [c.name, c.image]);
    expect(await images()).toEqual([
      ['app', IMAGE_1],
      ['sidecar', IMAGE_1],
    ]);
    // The controller takes revision 1's replica set back as revision 3, as after `kubectl rollout undo`.
    await revision('rollback', '3');
    expect(await apply(step, s)).toMatchObject({ acted: false });

    expect(await compensate(step, s)).toMatchObject({ acted: true });
    expect(await images()).toEqual([
      ['app', IMAGE_2],
      ['sidecar', IMAGE_1],
    ]);
    expect(await compensate(step, s)).toMatchObject({ acted: false });
  });

  it('refuses to restart or roll back a paused deployment, whose rollout would not happen', async () => {
    await createDeployment('paused');
    await apps.patchNamespacedDeployment(
      { name: 'paused', namespace, body: { spec: { paused: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    for (const action of ['k8s.rollout-restart', 'k8s.rollback'] as const) {
      await expect(snapshot({ action, namespace, deployment: 'paused' })).rejects.toMatchObject({
        type: 'DeploymentPaused',
        nonRetryable: true,
      });
    }
  });

  it('refuses to roll back a deployment that has a single revision', async () => {
    await createDeployment('first');
    await revision('first', '1');
    await expect(snapshot({ action: 'k8s.rollback', namespace, deployment: 'first' })).rejects.toMatchObject({
      type: 'NoPreviousRevision',
      nonRetryable: true,
    });
  });

  it('sets requests and limits on one container, once, and restores them exactly', async () => {
    await createDeployment('resources');
    const step: KubernetesStep = {
      action: 'k8s.patch-resources',
      namespace,
      deployment: 'resources',
      container: 'app',
      requests: { memory: '64Mi' },
      // The server writes 0.5 as 500m: a retry must still see the change as made.
      limits: { cpu: '0.5', memory: '128Mi' },
    };
    const s = await snapshot(step);
    expect(s).toEqual({ action: 'k8s.patch-resources', resources: { requests: { cpu: '100m' } } });
    const resources = async (container: string) =>
      (await read('resources')).spec?.template.spec?.containers.find((c) => c.name === container)?.resources;

    expect(await apply(step, s)).toMatchObject({ acted: true });
    expect(await resources('app')).toEqual({
      requests: { cpu: '100m', memory: '64Mi' },
      limits: { cpu: '500m', memory: '128Mi' },
    });
    expect(await resources('sidecar')).toEqual({});
    expect(await apply(step, s)).toMatchObject({ acted: false });

    expect(await compensate(step, s)).toMatchObject({ acted: true });
    expect(await resources('app')).toEqual({ requests: { cpu: '100m' } });
    expect(await compensate(step, s)).toMatchObject({ acted: false });

    await expect(snapshot({ ...step, container: 'missing' })).rejects.toMatchObject({
      type: 'ContainerNotFound',
      nonRetryable: true,
    });
  });

  it('fails without retries when the deployment does not exist', async () => {
    for (const step of [
      { action: 'k8s.scale', namespace, deployment: 'absent', replicas: { absolute: 2, min: 1, max: 3 } },
      { action: 'k8s.rollback', namespace, deployment: 'absent' },
      { action: 'k8s.rollout-restart', namespace: `absent-${namespace}`, deployment: 'absent' },
    ] satisfies KubernetesStep[]) {
      await expect(snapshot(step)).rejects.toMatchObject({
        type: 'KubernetesObjectNotFound',
        nonRetryable: true,
        message: expect.stringContaining(`deployment ${step.namespace}/absent does not exist`) as unknown,
      });
    }
  });
}

describe('Kubernetes actions on a local API server', () => {
  let cluster: LocalCluster | undefined;
  const target: Target = { kc: new KubeConfig(), namespace: 'steadfast-test' };

  beforeAll(async () => {
    cluster = await startLocalCluster();
    target.kc.loadFromFile(cluster.kubeconfig);
    await target.kc
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: target.namespace } } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  deploymentTests(() => target);

  describe('nodes', () => {
    let core: CoreV1Api;
    let executor: ActionRunner<KubernetesStep>;
    beforeAll(() => {
      core = target.kc.makeApiClient(CoreV1Api);
      executor = kubernetesRunner(target.kc);
    });
    const node = async (name: string, unschedulable: boolean) =>
      core.createNode({ body: { metadata: { name }, spec: { unschedulable } } });
    const unschedulable = async (name: string) =>
      (await core.readNode({ name })).spec?.unschedulable ?? false;

    for (const [action, initially] of [
      ['k8s.cordon', false],
      ['k8s.uncordon', true],
    ] as const) {
      it(`${action === 'k8s.cordon' ? 'cordons' : 'uncordons'} a node, once, and restores it`, async () => {
        const name = `node-${action.slice(4)}`;
        await node(name, initially);
        const step: KubernetesStep = { action, node: name };
        const s = await inActivity(() => executor.snapshot(step, 'key'));
        expect(s).toEqual({ action, unschedulable: initially });

        expect(await inActivity(() => executor.apply(step, s))).toMatchObject({ acted: true });
        expect(await unschedulable(name)).toBe(!initially);
        expect(await inActivity(() => executor.apply(step, s))).toMatchObject({ acted: false });

        expect(await inActivity(() => executor.compensate(step, s))).toMatchObject({ acted: true });
        expect(await unschedulable(name)).toBe(initially);
        expect(await inActivity(() => executor.compensate(step, s))).toMatchObject({ acted: false });
      });
    }

    it('fails without retries when the node does not exist', async () => {
      await expect(
        inActivity(() => executor.snapshot({ action: 'k8s.cordon', node: 'absent' }, 'key')),
      ).rejects.toMatchObject({ type: 'KubernetesObjectNotFound', nonRetryable: true });
    });
  });

  it('fails without retries when the credentials are not allowed to act', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster?.unprivilegedKubeconfig ?? '');
    const executor = kubernetesRunner(kc);
    for (const step of [
      { action: 'k8s.scale', namespace: target.namespace, deployment: 'scale', replicas: { min: 1, max: 2 } },
      { action: 'k8s.cordon', node: 'node-cordon' },
    ] satisfies KubernetesStep[]) {
      await expect(inActivity(() => executor.snapshot(step, 'key'))).rejects.toMatchObject({
        type: 'KubernetesForbidden',
        nonRetryable: true,
      });
    }
  });
});

// A dedicated variable, so a shell that points KUBECONFIG at production never runs tests there by accident.
const external = process.env['STEADFAST_TEST_KUBECONFIG'];
describe.skipIf(!external)(
  external
    ? `Kubernetes actions on the cluster named by STEADFAST_TEST_KUBECONFIG (${external})`
    : 'Kubernetes actions on an external cluster: skipped because STEADFAST_TEST_KUBECONFIG is not set',
  () => {
    // Its own namespace, deleted afterwards; nodes are never touched on a cluster that others use.
    const target: Target = { kc: new KubeConfig(), namespace: `steadfast-test-${randomUUID().slice(0, 8)}` };
    beforeAll(async () => {
      target.kc.loadFromDefault();
      await target.kc
        .makeApiClient(CoreV1Api)
        .createNamespace({ body: { metadata: { name: target.namespace } } });
    });
    afterAll(async () => {
      await target.kc
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name: target.namespace })
        .catch(() => undefined);
    });
    deploymentTests(() => target);
  },
);

describe('quantities', () => {
  it('compares the way Kubernetes writes them', () => {
    expect(parseQuantity('500m')).toBe(parseQuantity('0.5'));
    expect(parseQuantity('1Gi')).toBe(parseQuantity('1024Mi'));
    expect(parseQuantity('1e3')).toBe(parseQuantity('1k'));
    expect(parseQuantity('lots')).toBeUndefined();
  });
});
