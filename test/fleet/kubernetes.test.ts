import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, type V1Container } from '@kubernetes/client-node';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fleetResponseSchema } from '../../src/api/schemas/fleet.js';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings } from '../../src/config/settings.js';
import { NO_METRICS_API } from '../../src/fleet/kubernetes-row.js';
import { podReaderFromFile, type PodAnswer } from '../../src/fleet/kubernetes.js';
import { fleetSelectorOf } from '../../src/fleet/selector.js';
import { testApp } from '../support/api-harness.js';
import { startLocalCluster, type LocalCluster } from '../support/kubernetes.js';

/**
 * The pods of the fleet view on the suite's real kube-apiserver: no kubelet (pods stay Pending) and no
 * metrics-server (the metrics API is absent), as on a cluster where nobody installed it.
 */

const run = Date.now().toString(36);
const NAMESPACE = `fleet-${run}`;
const LABEL = `steadfast.fleet-test=${run}`;
const TOKEN = `fleet-k8s-token-${run}-0123456789`;
const container = (name: string, memory?: string): V1Container => ({
  name,
  image: 'registry.k8s.io/pause:3.10',
  ...(memory ? { resources: { limits: { memory } } } : {}),
});

let cluster: LocalCluster | undefined;
let kubeconfig = '';
const uids = new Map<string, string>();

beforeAll(async () => {
  cluster = await startLocalCluster();
  // The same cluster, with the test namespace as the current context's: the reader reads that one.
  const config = JSON.parse(readFileSync(cluster.kubeconfig, 'utf8')) as {
    contexts: { context: Record<string, string> }[];
  };
  for (const c of config.contexts) c.context.namespace = NAMESPACE;
  kubeconfig = join(tmpdir(), `steadfast-fleet-${run}.kubeconfig`);
  writeFileSync(kubeconfig, JSON.stringify(config));
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const pods: { name: string; labels: Record<string, string>; containers: V1Container[] }[] = [
    {
      name: 'cart-0',
      labels: { 'steadfast.fleet-test': run, service: 'cart' },
      containers: [container('app', '64Mi'), container('proxy', '32Mi')],
    },
    {
      name: 'web-0',
      labels: { 'steadfast.fleet-test': run, 'app.kubernetes.io/name': 'web' },
      containers: [container('app', '128Mi'), container('log')],
    },
    {
      name: 'other-0',
      labels: { 'steadfast.fleet-test': 'someone-else' },
      containers: [container('app', '64Mi')],
    },
  ];
  for (const p of pods) {
    const made = await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: { metadata: { name: p.name, labels: p.labels }, spec: { containers: p.containers } },
    });
    uids.set(p.name, made.metadata?.uid ?? '');
  }
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  if (kubeconfig) rmSync(kubeconfig, { force: true });
});

describe('the pods of the fleet on a real API server', () => {
  let answer: PodAnswer;
  beforeAll(async () => {
    answer = await podReaderFromFile(kubeconfig, { selector: fleetSelectorOf(LABEL) })();
  });

  it('when two pods of the namespace carry the label, then each has a row by name, the third is not listed', () => {
    expect(answer).toMatchObject({ namespace: NAMESPACE, matched: 2, truncated: false });
    expect(answer.pods.map((p) => p.name)).toEqual([`${NAMESPACE}/cart-0`, `${NAMESPACE}/web-0`]);
  });

  it('when limits are set, then they are summed; a container without one makes the pod unlimited', () => {
    const [cart, web] = answer.pods;
    expect(cart).toMatchObject({
      id: uids.get('cart-0'),
      service: 'cart',
      status: 'pending',
      restarts: 0,
      memoryLimitBytes: 96 * 2 ** 20,
      memoryLimited: true,
      interventions: 0,
    });
    expect(web).toMatchObject({
      id: uids.get('web-0'),
      service: 'web',
      memoryLimitBytes: 128 * 2 ** 20,
      memoryLimited: false,
    });
  });

  it('when the cluster serves no metrics API, then every usage field is unknown, saying so', () => {
    for (const pod of answer.pods) {
      expect(pod).toMatchObject({ cpuCores: null, memoryBytes: null, memoryShare: null, netInBytes: null });
      expect(pod.unknown).toEqual({
        fields: ['cpuCores', 'memoryBytes', 'memoryShare', 'netInBytes', 'netOutBytes'],
        reason: NO_METRICS_API,
      });
    }
  });

  it('when the selector is *, then only running pods are listed: none runs without a kubelet', async () => {
    const all = await podReaderFromFile(kubeconfig, { selector: fleetSelectorOf('*') })();
    expect(all).toMatchObject({ matched: 0, pods: [] });
  });
});

describe('GET /api/v1/fleet with KUBECONFIG set', () => {
  let server: RunningServer;
  beforeAll(async () => {
    const settings = loadSettings({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STEADFAST_API_TOKEN: TOKEN,
      STEADFAST_API_PORT: '0',
      STEADFAST_FLEET_LABEL: LABEL,
      KUBECONFIG: kubeconfig,
    });
    // An engine that is not there: the pods still answer.
    const docker = new Docker({ socketPath: join(tmpdir(), `no-engine-${run}.sock`) });
    server = await listen(await testApp(settings, { docker }), '127.0.0.1', 0);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('when the engine is unreachable, then the pods are answered and the engine is said unavailable', async () => {
    const r = await fetch(`${server.url}/api/v1/fleet`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    const body = fleetResponseSchema.parse(await r.json());
    expect(body.containers.map((c) => [c.source, c.name])).toEqual([
      ['kubernetes', `${NAMESPACE}/cart-0`],
      ['kubernetes', `${NAMESPACE}/web-0`],
    ]);
    expect(body.matched).toBe(2);
    expect(body.unavailable?.map((u) => u.source)).toEqual(['docker']);
    expect(body.unavailable?.[0]?.reason).toContain('the Docker engine did not answer');
    expect(body.containers[0]?.risk.basis).toContain('Docker containers only');
  });
});
