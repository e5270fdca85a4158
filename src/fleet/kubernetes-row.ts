import { z } from 'zod';
import { parseQuantity } from '../remediation/kubernetes/api.js';
import { MEASURED, type FleetRow } from './row.js';

/**
 * A pod's row of the fleet view, from the pod and, where the cluster runs metrics-server, its
 * PodMetrics. Pure: the reader (kubernetes.ts) does the asking.
 */

/** What a row needs of a pod: a structural subset of the client's V1Pod, so tests can write one. */
export interface PodLike {
  metadata?: { uid?: string; name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: { containers: { resources?: { limits?: Record<string, string> } }[] };
  status?: {
    phase?: string;
    containerStatuses?: { restartCount: number; state?: { waiting?: { reason?: string } } }[];
  };
}

/** One pod of metrics.k8s.io/v1beta1's PodMetricsList, as much of it as a row reads. */
export const podMetricsSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string().optional() }),
  containers: z.array(z.object({ usage: z.record(z.string(), z.string()) })),
});
export type PodMetrics = z.infer<typeof podMetricsSchema>;

export const podMetricsListSchema = z.object({ items: z.array(podMetricsSchema) });

export const NO_METRICS_API = 'no metrics API (metrics-server) in the cluster';

/** CPU cores and memory bytes summed over the pod's containers; null when a container lacks one. */
export function podUsage(metrics: PodMetrics): { cpuCores: number | null; memoryBytes: number | null } {
  const sum = (resource: 'cpu' | 'memory'): number | null => {
    let total = 0;
    for (const c of metrics.containers) {
      const text = c.usage[resource];
      const value = text === undefined ? undefined : parseQuantity(text);
      if (value === undefined || value < 0) return null;
      total += value;
    }
    return metrics.containers.length > 0 ? total : null;
  };
  return { cpuCores: sum('cpu'), memoryBytes: sum('memory') };
}

/** The phase, unless a container waits to restart (CrashLoopBackOff): then `restarting (reason)`. */
export function podStatus(pod: PodLike): string {
  const waiting = (pod.status?.containerStatuses ?? [])
    .map((s) => s.state?.waiting?.reason)
    .find((reason) => reason === 'CrashLoopBackOff');
  if (waiting) return `restarting (${waiting})`;
  return pod.status?.phase?.toLowerCase() ?? 'unknown';
}

/** The summed memory limits, and whether every container has one (else the node's memory is the bound). */
function memoryLimit(pod: PodLike): { memoryLimitBytes: number | null; memoryLimited: boolean } {
  const limits = (pod.spec?.containers ?? []).map((c) => {
    const text = c.resources?.limits?.['memory'];
    return text === undefined ? undefined : parseQuantity(text);
  });
  const known = limits.filter((l): l is number => l !== undefined && l > 0);
  const every = limits.length > 0 && known.length === limits.length;
  return {
    memoryLimitBytes: known.length > 0 ? known.reduce((s, l) => s + l, 0) : null,
    memoryLimited: every,
  };
}

/**
 * The row of one pod: id its UID, name `namespace/pod`. Usage comes from its PodMetrics, or is
 * unknown with `missing` (no metrics API, no metrics for this pod yet). Network is never in PodMetrics.
 */
export function podRow(pod: PodLike, usage: { metrics: PodMetrics } | { missing: string }): FleetRow {
  const meta = pod.metadata ?? {};
  const labels = meta.labels ?? {};
  const service = (labels['service'] ?? labels['app.kubernetes.io/name'])?.slice(0, 253);
  const { cpuCores, memoryBytes } =
    'metrics' in usage ? podUsage(usage.metrics) : { cpuCores: null, memoryBytes: null };
  const { memoryLimitBytes, memoryLimited } = memoryLimit(pod);
  const statuses = pod.status?.containerStatuses;
  const row: FleetRow = {
    id: meta.uid ?? `${meta.namespace}/${meta.name}`,
    name: `${meta.namespace ?? 'default'}/${meta.name ?? '?'}`,
    ...(service ? { service } : {}),
    status: podStatus(pod),
    cpuCores,
    cpuBasis: cpuCores === null ? null : 'recent',
    memoryBytes,
    memoryLimitBytes,
    memoryShare:
      memoryBytes !== null && memoryLimitBytes !== null && memoryLimited
        ? Math.min(1, memoryBytes / memoryLimitBytes)
        : null,
    memoryLimited,
    // A pod not yet scheduled has no container statuses: none of its containers has restarted.
    restarts: (statuses ?? []).reduce((s, c) => s + c.restartCount, 0),
    netInBytes: null,
    netOutBytes: null,
    // Kubernetes actions act on deployments and nodes, not pods: none is counted on a pod.
    interventions: 0,
  };
  const fields = MEASURED.filter((f) => row[f] === null);
  return { ...row, unknown: { fields, reason: 'missing' in usage ? usage.missing : whyNull(row) } };
}

/** Why fields are null when the pod has metrics: network always, the others for a reason of their own. */
function whyNull(row: FleetRow): string {
  const why = ['PodMetrics carry no network counters'];
  if (row.cpuCores === null || row.memoryBytes === null) why.push('the metrics lack a container’s usage');
  if (!row.memoryLimited) why.push('not every container has a memory limit');
  return why.join('; ');
}
