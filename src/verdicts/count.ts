import { boundedLabel, type Metrics } from '../lib/metrics.js';

/** The most services steadfast_false_positive_total tells apart in one process; later ones are `other`. */
export const MAX_SERVICES = 100;

const seen = new Set<string>();

/**
 * Counts one incident judged noise. The service comes from an alert's labels, so the label's values
 * are bounded: cut to MAX_LABEL_CHARS and at most MAX_SERVICES distinct ones per process.
 */
export function countFalsePositive(
  metrics: Pick<Metrics, 'falsePositives'>,
  source: 'person' | 'evidence',
  service: string,
): void {
  const label = boundedLabel(service);
  if (!seen.has(label) && seen.size < MAX_SERVICES) seen.add(label);
  metrics.falsePositives.inc({ source, incident_service: seen.has(label) ? label : 'other' });
}
