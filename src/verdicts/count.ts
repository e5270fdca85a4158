import { labelBudget, type Metrics } from '../lib/metrics.js';

/** The most services steadfast_false_positive_total tells apart in one process; later ones are `other`. */
export const MAX_SERVICES = 100;

const serviceLabel = labelBudget(MAX_SERVICES);

/**
 * Counts one incident judged noise. The service comes from an alert's labels, so the label's values
 * are bounded: cut to MAX_LABEL_CHARS and at most MAX_SERVICES distinct ones per process.
 */
export function countFalsePositive(
  metrics: Pick<Metrics, 'falsePositives'>,
  source: 'person' | 'evidence',
  service: string,
): void {
  metrics.falsePositives.inc({ source, incident_service: serviceLabel(service) });
}
