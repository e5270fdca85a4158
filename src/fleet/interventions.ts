import type { Counter } from 'prom-client';

/**
 * Results of an action Steadfast ran (it changed or tried to change the container); `refused` (a guard
 * said no), `dry-run` and `running` did not act.
 */
const ACTED = new Set(['done', 'failed', 'rolled-back', 'rollback-failed']);

/** Actions run per target, from this process's steadfast_remediation_actions_total. */
export type InterventionCounts = ReadonlyMap<string, number>;

/**
 * The counts this process has counted: the metric lives in the process that records incidents closed,
 * so an API started apart from the worker counts none, and several workers each count their own
 * (Prometheus sums them: `sum by (target) (steadfast_remediation_actions_total)`).
 */
export async function interventionCounts(
  counter: Counter<'action' | 'result' | 'target'>,
): Promise<InterventionCounts> {
  const counts = new Map<string, number>();
  for (const { labels, value } of (await counter.get()).values) {
    const target = labels.target;
    if (typeof target !== 'string' || !ACTED.has(String(labels.result))) continue;
    counts.set(target, (counts.get(target) ?? 0) + value);
  }
  return counts;
}

/**
 * Actions on one container: guards key a container by the ID the step was bound to (or the name or
 * ID prefix an alert gave, when nothing bound it), and a Docker service by a label its replicas carry.
 */
export function interventionsOn(
  counts: InterventionCounts,
  container: { id: string; name: string; labels: Record<string, string> },
): number {
  const keys = new Set([
    `docker/container/${container.id}`,
    `docker/container/${container.id.slice(0, 12)}`,
    `docker/container/${container.name}`,
    ...Object.entries(container.labels).map(([k, v]) => `docker/service/${k}=${v}`),
  ]);
  let total = 0;
  for (const key of keys) total += counts.get(key) ?? 0;
  return total;
}
