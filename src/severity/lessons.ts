import type { IncidentClosed } from '../workflows/records.js';
import { severityFeatures } from './features.js';
import type { Example } from './model.js';

/** What one lesson teaches, and under which key: a second lesson with the same key replaces the first. */
export interface Lesson extends Example {
  key: string;
  source: 'correction' | 'outcome';
  incidentId: string;
}

/** A person's correction outweighs what an outcome suggests: they saw what the model did not. */
export const CORRECTION_WEIGHT = 3;
/** An incident that ended by itself this soon, with nothing done, taught that it mattered little. */
export const SELF_RESOLVED_WITHIN_MS = 10 * 60_000;
/** The severity a self-resolving incident teaches. */
export const SELF_RESOLVED_SEVERITY = 'info';

export function correctionLesson(
  incident: Pick<IncidentClosed, 'incidentId' | 'alerts'>,
  severity: string,
): Lesson | undefined {
  const alert = incident.alerts[0];
  if (!alert) return undefined;
  return {
    key: `correction:${incident.incidentId}`,
    source: 'correction',
    incidentId: incident.incidentId,
    features: severityFeatures(alert),
    severity,
    weight: CORRECTION_WEIGHT,
  };
}

/**
 * What a closed incident's outcome says about its severity. An incident that needed a fix (it ran,
 * whether or not it worked) confirms its label; one whose alerts resolved by themselves within minutes,
 * with nothing done and nobody deciding, teaches `info`. Anything else (rejected, aborted, a dry run,
 * a predicted incident) says nothing about severity.
 */
export function outcomeLesson(incident: IncidentClosed): Lesson | undefined {
  const alert = incident.alerts[0];
  if (!alert || incident.severity === 'predicted') return undefined;
  const base = { key: `outcome:${incident.incidentId}`, source: 'outcome' as const, weight: 1 };
  const features = severityFeatures(alert);
  const acted = incident.actions.length > 0;
  if (acted && (incident.outcome === 'verified' || incident.outcome === 'failed'))
    return { ...base, incidentId: incident.incidentId, features, severity: incident.severity };
  const opened = Date.parse(incident.openedAt);
  const closed = Date.parse(incident.closedAt ?? '');
  const quick =
    Number.isFinite(opened) && Number.isFinite(closed) && closed - opened <= SELF_RESOLVED_WITHIN_MS;
  const byItself = incident.outcome === 'resolved' || incident.outcome === 'no-runbook';
  // A person who resolved it may have fixed it by hand: that is not "by itself".
  const touched = incident.approvals.length > 0 || incident.timeline.some((t) => t.actor !== undefined);
  if (!acted && byItself && quick && !touched)
    return { ...base, incidentId: incident.incidentId, features, severity: SELF_RESOLVED_SEVERITY };
  return undefined;
}
