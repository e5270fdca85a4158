import { createHash } from 'node:crypto';

/**
 * Which labels make two alert groups the same incident. Each entry is a label name, or alternatives
 * separated by `|` where the first present one counts (`service|job`).
 */
export type CorrelationLabels = readonly string[];
export const DEFAULT_CORRELATION_LABELS: CorrelationLabels = ['alertname', 'service|job', 'namespace'];

export interface Correlation {
  /** Human-readable key, e.g. `alertname="ServiceDown",service="checkout"` (values quoted, so never ambiguous). */
  key: string;
  /** The incident's workflow ID: readable, safe in a URL path, and unique per key. */
  incidentId: string;
}

/**
 * Correlates on labels every alert of the group shares, so one Alertmanager group is one incident. When
 * the group shares none of the correlation labels, the group itself (its groupKey) is the identity.
 */
export function correlate(
  commonLabels: Record<string, string>,
  fallbackIdentity: string,
  labels: CorrelationLabels = DEFAULT_CORRELATION_LABELS,
): Correlation {
  const parts: string[] = [];
  for (const entry of labels) {
    for (const name of entry.split('|')) {
      const value = commonLabels[name];
      if (value !== undefined && value !== '') {
        parts.push(`${name}=${JSON.stringify(value)}`);
        break;
      }
    }
  }
  const key = parts.length > 0 ? parts.join(',') : `group=${fallbackIdentity}`;
  const readable = parts
    .map((p) => JSON.parse(p.slice(p.indexOf('=') + 1)) as string)
    .join('.')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(0, 120);
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 10);
  return { key, incidentId: `incident-${readable || 'group'}-${digest}` };
}
