import { describe, expect, it } from 'vitest';
import {
  NO_METRICS_API,
  podMetricsListSchema,
  podRow,
  podStatus,
  podUsage,
  type PodLike,
} from '../../src/fleet/kubernetes-row.js';
import { parseQuantity } from '../../src/remediation/kubernetes/api.js';

/** A pod of two containers as the API server lists it once scheduled (V1Pod's shape). */
const pod = (over: Partial<PodLike> = {}): PodLike => ({
  metadata: { uid: 'u-1', name: 'web-0', namespace: 'shop', labels: { 'app.kubernetes.io/name': 'web' } },
  spec: {
    containers: [{ resources: { limits: { memory: '64Mi' } } }, { resources: { limits: { memory: '1Gi' } } }],
  },
  status: { phase: 'Running', containerStatuses: [{ restartCount: 2 }, { restartCount: 1 }] },
  ...over,
});

/** As metrics-server answers GET /apis/metrics.k8s.io/v1beta1/namespaces/shop/pods. */
const metricsList = podMetricsListSchema.parse({
  kind: 'PodMetricsList',
  apiVersion: 'metrics.k8s.io/v1beta1',
  items: [
    {
      metadata: { name: 'web-0', namespace: 'shop', labels: { app: 'web' } },
      timestamp: '2026-11-30T09:00:00Z',
      window: '15s',
      containers: [
        { name: 'app', usage: { cpu: '250000000n', memory: '32768Ki' } },
        { name: 'sidecar', usage: { cpu: '1m', memory: '16Mi' } },
      ],
    },
  ],
});
const metrics = metricsList.items[0]!;

describe('Kubernetes quantities as metrics-server and pod specs write them', () => {
  it.each([
    ['250000000n', 0.25],
    ['1500u', 0.0015],
    ['250m', 0.25],
    ['2', 2],
    ['32768Ki', 32 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['128M', 128e6],
    ['1e3', 1000],
  ])('when the quantity is %s, then it is %d', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
  });

  it.each(['', 'Gi', '12 Mi', '1Qi', 'ten'])('when the quantity is %j, then it is not a number', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });
});

describe('a pod’s row', () => {
  it('when metrics-server has the pod, then CPU and memory are summed over its containers and network is unknown', () => {
    const row = podRow(pod(), { metrics });
    expect(row).toEqual({
      id: 'u-1',
      name: 'shop/web-0',
      service: 'web',
      status: 'running',
      cpuCores: 0.251,
      cpuBasis: 'recent',
      memoryBytes: 48 * 2 ** 20,
      memoryLimitBytes: 64 * 2 ** 20 + 2 ** 30,
      memoryShare: (48 * 2 ** 20) / (64 * 2 ** 20 + 2 ** 30),
      memoryLimited: true,
      restarts: 3,
      netInBytes: null,
      netOutBytes: null,
      interventions: 0,
      unknown: { fields: ['netInBytes', 'netOutBytes'], reason: 'PodMetrics carry no network counters' },
    });
  });

  it('when there is no metrics API, then every usage field is unknown with that reason, limits still read', () => {
    const row = podRow(pod(), { missing: NO_METRICS_API });
    expect(row).toMatchObject({ cpuCores: null, cpuBasis: null, memoryBytes: null, memoryShare: null });
    expect(row.memoryLimitBytes).toBe(64 * 2 ** 20 + 2 ** 30);
    expect(row.unknown).toEqual({
      fields: ['cpuCores', 'memoryBytes', 'memoryShare', 'netInBytes', 'netOutBytes'],
      reason: NO_METRICS_API,
    });
  });

  it('when one container has no memory limit, then the pod is not memory-limited and has no share', () => {
    const open = pod({ spec: { containers: [{ resources: { limits: { memory: '64Mi' } } }, {}] } });
    const row = podRow(open, { metrics });
    expect(row).toMatchObject({ memoryLimited: false, memoryLimitBytes: 64 * 2 ** 20, memoryShare: null });
    expect(row.unknown?.reason).toContain('not every container has a memory limit');
  });

  it('when the pod has a `service` label, then it wins over app.kubernetes.io/name; with neither there is none', () => {
    const labelled = pod({
      metadata: {
        uid: 'u',
        name: 'p',
        namespace: 'n',
        labels: { service: 'cart', 'app.kubernetes.io/name': 'web' },
      },
    });
    expect(podRow(labelled, { missing: NO_METRICS_API }).service).toBe('cart');
    expect(
      podRow(pod({ metadata: { uid: 'u', name: 'p', namespace: 'n' } }), { missing: NO_METRICS_API }),
    ).not.toHaveProperty('service');
  });

  it('when a container is in CrashLoopBackOff, then the status says restarting, else the phase in lower case', () => {
    const crashing = pod({
      status: {
        phase: 'Running',
        containerStatuses: [
          { restartCount: 0 },
          { restartCount: 7, state: { waiting: { reason: 'CrashLoopBackOff' } } },
        ],
      },
    });
    expect(podStatus(crashing)).toBe('restarting (CrashLoopBackOff)');
    expect(podRow(crashing, { missing: NO_METRICS_API }).restarts).toBe(7);
    expect(podStatus(pod({ status: { phase: 'Pending' } }))).toBe('pending');
    expect(podStatus(pod({ status: {} }))).toBe('unknown');
  });

  it('when a container’s usage is not a quantity, then the sum is unknown rather than short', () => {
    const bad = { ...metrics, containers: [{ usage: { cpu: 'lots', memory: '1Mi' } }] };
    expect(podUsage(bad)).toEqual({ cpuCores: null, memoryBytes: 2 ** 20 });
  });
});
