import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesStep } from '../../src/actions/steps.js';
import { kubernetesRunner } from '../../src/remediation/kubernetes/actions.js';
import { startLocalCluster, type LocalCluster } from '../support/kubernetes.js';
import { render, type Rendered } from './render.js';

/**
 * The manifests on a real kube-apiserver with RBAC: applied as an admin, then used as the steadfast
 * ServiceAccount, with a token the API server issued for it, through the very kubeconfig its pods get.
 */

/** `verb group/resource[/subresource] namespace`, namespace `*` for a cluster-wide request. */
type Access = string;

/** Every call src/remediation/kubernetes/api.ts makes for the deployment actions, in `default`. */
const DEPLOYMENT_ACTIONS: Access[] = [
  'get apps/deployments default', // every deployment action: identify, insistOnUid, templates
  'patch apps/deployments default', // rollout-restart, rollback, patch-resources and their undoing
  'get apps/deployments/scale default', // k8s.scale
  'patch apps/deployments/scale default', // k8s.scale and its compensation
  'list apps/replicasets default', // k8s.rollback: the earlier revisions
];
/** And for k8s.cordon and k8s.uncordon (components/cordon). */
const NODE_ACTIONS: Access[] = ['get core/nodes *', 'patch core/nodes *'];

/** Rights no action needs; the ServiceAccount must not have them. */
const UNNEEDED: Access[] = [
  ...['list', 'watch', 'create', 'update', 'delete', 'deletecollection'].map(
    (v) => `${v} apps/deployments default`,
  ),
  'update apps/deployments/scale default',
  'patch apps/deployments/status default',
  ...['get', 'watch', 'patch', 'delete'].map((v) => `${v} apps/replicasets default`),
  'patch apps/statefulsets default',
  'patch apps/daemonsets default',
  ...['get', 'list', 'create', 'delete'].map((v) => `${v} core/pods default`),
  'create core/pods/exec default',
  'create core/pods/eviction default',
  'get core/secrets default',
  'list core/secrets default',
  'get core/configmaps default',
  'create core/serviceaccounts/token default',
  // Its own namespace: Steadfast may not scale or rewrite itself, nor read its own secrets.
  'get apps/deployments steadfast',
  'patch apps/deployments steadfast',
  'patch apps/deployments/scale steadfast',
  'get core/secrets steadfast',
  'patch core/configmaps steadfast',
  'get apps/deployments kube-system',
  'patch apps/deployments/scale kube-system',
  // Cluster-wide.
  'list apps/deployments *',
  'list core/nodes *',
  'delete core/nodes *',
  'patch core/nodes/status *',
  'list core/namespaces *',
  'create core/namespaces *',
  'list core/secrets *',
  'create rbac.authorization.k8s.io/clusterrolebindings *',
  'escalate rbac.authorization.k8s.io/clusterroles *',
  'bind rbac.authorization.k8s.io/clusterroles *',
  'impersonate core/users *',
];

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const SA_CA = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';
const IMAGE_1 = 'registry.k8s.io/pause:3.9';
const IMAGE_2 = 'registry.k8s.io/pause:3.10';

/** Heartbeats need an activity context, as the executor only ever runs inside activities. */
const inActivity = <T>(fn: () => Promise<T>): Promise<T> =>
  new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Server-side apply of every object, as `kubectl apply --server-side -k` does. */
async function apply(kc: KubeConfig, rendered: Rendered): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const object of rendered.objects) {
    await client.patch(
      object,
      undefined,
      undefined,
      'steadfast-deploy-test',
      true,
      PatchStrategy.ServerSideApply,
    );
  }
}

let cluster: LocalCluster;
let dir: string;
const admin = new KubeConfig();
/** The ServiceAccount's identity, through the kubeconfig of the rendered steadfast-kubeconfig ConfigMap. */
const steadfast = new KubeConfig();
/** The API replicas' identity (steadfast-api), the same way. */
const apiIdentity = new KubeConfig();
let base: Rendered;

beforeAll(async () => {
  base = await render('.');
  cluster = await startLocalCluster();
  admin.loadFromFile(cluster.kubeconfig);
  dir = mkdtempSync(join(tmpdir(), 'steadfast-deploy-'));
  await apply(admin, base);
  // A node for the cordon tests: an object only, as no kubelet runs here.
  await admin.makeApiClient(CoreV1Api).createNode({ body: { metadata: { name: 'node-1' } } });

  // The pods' kubeconfig, with this cluster's address and the files where this test keeps them.
  const shipped = base.one('ConfigMap', 'steadfast-kubeconfig', 'steadfast').data?.config ?? '';
  const caFile = admin.getCurrentCluster()?.caFile ?? '';
  for (const [name, kc] of [
    ['steadfast', steadfast],
    ['steadfast-api', apiIdentity],
  ] as const) {
    const issued = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      name,
      namespace: 'steadfast',
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    writeFileSync(join(dir, name), issued.status?.token ?? '', { mode: 0o600 });
    kc.loadFromString(
      shipped
        .replace('https://kubernetes.default.svc', cluster.server)
        .replace(SA_CA, caFile)
        .replace(SA_TOKEN, join(dir, name)),
    );
  }
});

afterAll(async () => {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What the API server answers an identity itself for each access (SelfSubjectAccessReview). */
async function allowedOf(accesses: Access[], identity = steadfast): Promise<Record<Access, boolean>> {
  const authz = identity.makeApiClient(AuthorizationV1Api);
  const answers = await Promise.all(
    accesses.map(async (a) => {
      const [verb, path = '', namespace = '*'] = a.split(' ');
      const [group = '', resource = '', subresource] = path.split('/');
      const review = await authz.createSelfSubjectAccessReview({
        body: {
          spec: {
            resourceAttributes: {
              verb,
              group: group === 'core' ? '' : group,
              resource,
              ...(subresource ? { subresource } : {}),
              ...(namespace === '*' ? {} : { namespace }),
            },
          },
        },
      });
      return [a, review.status?.allowed === true] as const;
    }),
  );
  return Object.fromEntries(answers);
}

const every = (accesses: Access[], allowed: boolean) => Object.fromEntries(accesses.map((a) => [a, allowed]));

/** The rules of a Role or ClusterRole as accesses, to compare with what the actions call. */
function rulesAsAccesses(
  rules: { apiGroups?: string[]; resources?: string[]; verbs: string[] }[],
  ns: string,
) {
  return rules.flatMap((r) =>
    (r.apiGroups ?? []).flatMap((g) =>
      (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${v} ${g || 'core'}/${res} ${ns}`)),
    ),
  );
}

describe('the base applied to a real API server', () => {
  it('creates every object, and pods for both Deployments that the restricted Pod Security Standard admits', async () => {
    const objects = KubernetesObjectApi.makeApiClient(admin);
    for (const object of base.objects) {
      const read = await objects.read({
        apiVersion: object.apiVersion ?? '',
        kind: object.kind ?? '',
        metadata: { name: object.metadata?.name ?? '', namespace: object.metadata?.namespace ?? '' },
      });
      expect(read.metadata?.uid).toBeTruthy();
    }
    // No kubelet here: the pods stay Pending, but the replica set controller had to get them admitted.
    const core = admin.makeApiClient(CoreV1Api);
    for (const [app, replicas, serviceAccount] of [
      ['steadfast-api', 2, 'steadfast-api'],
      ['steadfast-worker', 2, 'steadfast'],
    ] as const) {
      const pods = await waitFor(`pods of ${app}`, async () => {
        const list = await core.listNamespacedPod({
          namespace: 'steadfast',
          labelSelector: `app.kubernetes.io/name=${app}`,
        });
        return list.items.length === replicas ? list.items : undefined;
      });
      for (const pod of pods) expect(pod.spec?.serviceAccountName).toBe(serviceAccount);
    }
    // The namespace does enforce the standard: a pod that says nothing of its security is refused.
    const plain = core.createNamespacedPod({
      namespace: 'steadfast',
      dryRun: 'All',
      body: { metadata: { name: 'plain' }, spec: { containers: [{ name: 'c', image: IMAGE_1 }] } },
    });
    await expect(plain).rejects.toThrow(/violates PodSecurity\W+restricted/);
  });

  it('grants the ServiceAccount exactly the calls the deployment actions make, in the namespace they act in', async () => {
    const role = base.one('Role', 'steadfast-remediation', 'default');
    expect(rulesAsAccesses(role.rules ?? [], 'default').sort()).toEqual([...DEPLOYMENT_ACTIONS].sort());
    expect(base.all('ClusterRole')).toEqual([]);
    expect(await allowedOf(DEPLOYMENT_ACTIONS)).toEqual(every(DEPLOYMENT_ACTIONS, true));
  });

  it('refuses the ServiceAccount everything else: other verbs, pods, secrets, other namespaces, nodes', async () => {
    const refused = [...UNNEEDED, ...NODE_ACTIONS, 'get apps/deployments shop'];
    expect(await allowedOf(refused)).toEqual(every(refused, false));
  });

  it("refuses the API replicas' identity everything, the deployment actions too", async () => {
    const refused = [...DEPLOYMENT_ACTIONS, ...UNNEEDED, ...NODE_ACTIONS];
    expect(await allowedOf(refused, apiIdentity)).toEqual(every(refused, false));
  });

  it('runs each deployment action as the ServiceAccount, and undoes it', async () => {
    const apps = admin.makeApiClient(AppsV1Api);
    const read = () => apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
    const revision = (wanted: string) =>
      waitFor(`revision ${wanted} of web`, async () =>
        (await read()).metadata?.annotations?.['deployment.kubernetes.io/revision'] === wanted
          ? true
          : undefined,
      );
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'web', labels: { 'steadfast.managed': 'true' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'app', image: IMAGE_1 }] },
          },
        },
      },
    });
    await revision('1');
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: IMAGE_2 }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await revision('2');

    const runner = kubernetesRunner(steadfast);
    const uid = (await read()).metadata?.uid;
    const on = { namespace: 'default', deployment: 'web', uid };
    const steps: KubernetesStep[] = [
      { action: 'k8s.scale', ...on, replicas: { delta: 2, min: 1, max: 5 } },
      { action: 'k8s.patch-resources', ...on, container: 'app', limits: { memory: '256Mi' } },
      { action: 'k8s.rollback', ...on },
    ];
    for (const step of steps) {
      const identity = await inActivity(() => runner.identify(step));
      expect(identity).toMatchObject({
        kind: 'k8s-deployment',
        uid,
        labels: { 'steadfast.managed': 'true' },
      });
      const snapshot = await inActivity(() => runner.snapshot(step, randomUUID()));
      expect(await inActivity(() => runner.apply(step, snapshot))).toMatchObject({ acted: true });
      expect(await inActivity(() => runner.compensate(step, snapshot))).toMatchObject({ acted: true });
    }
    const restart: KubernetesStep = { action: 'k8s.rollout-restart', ...on };
    const snapshot = await inActivity(() => runner.snapshot(restart, randomUUID()));
    expect(await inActivity(() => runner.apply(restart, snapshot))).toMatchObject({ acted: true });

    // Each change really happened and was really undone: what the admin reads now.
    const web = await read();
    expect(web.spec?.replicas).toBe(1);
    expect(web.spec?.template.spec?.containers[0]).toMatchObject({ image: IMAGE_2, resources: {} });
    expect(web.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
  });

  it('refuses, as the ServiceAccount, to scale Steadfast itself or cordon a node, changing nothing', async () => {
    const runner = kubernetesRunner(steadfast);
    const scaleSelf: KubernetesStep = {
      action: 'k8s.scale',
      namespace: 'steadfast',
      deployment: 'steadfast-api',
      replicas: { delta: -2, min: 0, max: 5 },
    };
    const cordon: KubernetesStep = { action: 'k8s.cordon', node: 'node-1' };
    for (const step of [scaleSelf, cordon]) {
      await expect(inActivity(() => runner.snapshot(step, randomUUID()))).rejects.toMatchObject({
        type: 'KubernetesForbidden',
        nonRetryable: true,
      });
    }
    const api = await admin
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: 'steadfast-api', namespace: 'steadfast' });
    expect(api.spec?.replicas).toBe(2);
  });
});

describe('the example overlay applied over it', () => {
  let overlay: Rendered;
  beforeAll(async () => {
    overlay = await render('overlays/example');
    await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'shop' } } });
    await apply(admin, overlay);
  });

  it('adds the node rights of cordon and the deployment rights in shop, and nothing more', async () => {
    const shop = DEPLOYMENT_ACTIONS.map((a) => a.replace(/ default$/, ' shop'));
    const cordon = overlay.one('ClusterRole', 'steadfast-cordon');
    expect(rulesAsAccesses(cordon.rules ?? [], '*').sort()).toEqual([...NODE_ACTIONS].sort());
    expect(await allowedOf([...shop, ...NODE_ACTIONS, ...DEPLOYMENT_ACTIONS])).toEqual(
      every([...shop, ...NODE_ACTIONS, ...DEPLOYMENT_ACTIONS], true),
    );
    expect(await allowedOf(UNNEEDED)).toEqual(every(UNNEEDED, false));
  });

  it('cordons a node as the ServiceAccount, and undoes it', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const runner = kubernetesRunner(steadfast);
    const step: KubernetesStep = { action: 'k8s.cordon', node: 'node-1' };
    const snapshot = await inActivity(() => runner.snapshot(step, randomUUID()));
    expect(await inActivity(() => runner.apply(step, snapshot))).toMatchObject({ acted: true });
    expect((await core.readNode({ name: 'node-1' })).spec?.unschedulable).toBe(true);
    expect(await inActivity(() => runner.compensate(step, snapshot))).toMatchObject({ acted: true });
    expect((await core.readNode({ name: 'node-1' })).spec?.unschedulable).toBeFalsy();
  });
});
