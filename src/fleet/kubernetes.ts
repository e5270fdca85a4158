import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { MAX_FLEET_CONTAINERS } from './collect.js';
import { NO_METRICS_API, podMetricsListSchema, podRow, type PodMetrics } from './kubernetes-row.js';
import type { FleetRow } from './row.js';
import type { FleetSelector } from './selector.js';
import { messageOf } from '../lib/message-of.js';

/**
 * The pods of the fleet view, read from the cluster of a kubeconfig (its current context's namespace,
 * else `default`). This module loads @kubernetes/client-node: import it only when KUBECONFIG is set.
 */

export interface PodAnswer {
  namespace: string;
  pods: FleetRow[];
  /** Pods the selector matched; more than `pods` holds when the cap cut the list. */
  matched: number;
  truncated: boolean;
}

export interface PodReaderOptions {
  selector: FleetSelector;
  /** Default MAX_FLEET_CONTAINERS, as for Docker. */
  maxPods?: number;
  /** Bound on each API call, in ms (default 3000). */
  timeoutMs?: number;
}

/** The API server could not list the pods (unreachable, refused, a selector it does not accept). */
export class ClusterUnreachableError extends Error {
  override name = 'ClusterUnreachableError';
}

const why = (err: unknown): string =>
  err instanceof ApiException ? `HTTP ${err.code}` : messageOf(err).slice(0, 200);

/** The client's calls take no abort signal: the answer is given up on, the request left to end alone. */
function bounded<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}

/** The same selector as Docker's, in the API server's words: `*` is every running pod. */
function listQuery(selector: FleetSelector): { labelSelector?: string; fieldSelector?: string } {
  return selector.all ? { fieldSelector: 'status.phase=Running' } : { labelSelector: selector.label };
}

/** Each pod's metrics by name, or why there are none (404/503: no metrics API is served). */
async function podMetrics(
  custom: CustomObjectsApi,
  namespace: string,
  query: { labelSelector?: string },
  timeoutMs: number,
): Promise<{ byName: Map<string, PodMetrics> } | { missing: string }> {
  try {
    const raw: unknown = await bounded(
      custom.listNamespacedCustomObject({
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        namespace,
        plural: 'pods',
        ...query,
      }),
      timeoutMs,
      'the metrics API',
    );
    const parsed = podMetricsListSchema.safeParse(raw);
    if (!parsed.success) return { missing: "the metrics API's answer is malformed" };
    return { byName: new Map(parsed.data.items.map((m) => [m.metadata.name, m])) };
  } catch (err) {
    if (err instanceof ApiException && (err.code === 404 || err.code === 503))
      return { missing: NO_METRICS_API };
    return { missing: `the metrics API failed: ${why(err)}` };
  }
}

export function createPodReader(kc: KubeConfig, options: PodReaderOptions): () => Promise<PodAnswer> {
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const max = options.maxPods ?? MAX_FLEET_CONTAINERS;
  const timeoutMs = options.timeoutMs ?? 3000;
  const query = listQuery(options.selector);
  return async () => {
    let items;
    try {
      const list = await bounded(core.listNamespacedPod({ namespace, ...query }), timeoutMs, 'listing pods');
      items = list.items;
    } catch (err) {
      throw new ClusterUnreachableError(`the Kubernetes API server did not list the pods: ${why(err)}`);
    }
    const byName = [...items].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    const shown = byName.slice(0, max);
    // Metrics only for what is shown; PodMetrics carry their pod's labels, so the same selector applies.
    const metrics =
      shown.length === 0
        ? { missing: NO_METRICS_API }
        : await podMetrics(
            custom,
            namespace,
            query.labelSelector ? { labelSelector: query.labelSelector } : {},
            timeoutMs,
          );
    const pods = shown.map((pod) => {
      if ('missing' in metrics) return podRow(pod, metrics);
      const found = metrics.byName.get(pod.metadata?.name ?? '');
      return podRow(
        pod,
        found ? { metrics: found } : { missing: 'the metrics API has no sample of this pod yet' },
      );
    });
    return { namespace, pods, matched: items.length, truncated: items.length > max };
  };
}

/** The reader for the kubeconfig at `path` (settings.kubeconfig). */
export function podReaderFromFile(path: string, options: PodReaderOptions): () => Promise<PodAnswer> {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return createPodReader(kc, options);
}
