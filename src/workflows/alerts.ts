import type { Alert } from '../domain/alert.js';
import { moreSevere, type IncidentState } from '../domain/incident.js';

/**
 * Merges delivered alerts into the incident. Alertmanager delivers at least once, so an alert the
 * incident already has (same fingerprint and startsAt, same status) is counted and dropped.
 * Returns the alerts that changed something, for the timeline.
 */
export function absorbAlerts(state: IncidentState, delivered: readonly Alert[]): Alert[] {
  const changed: Alert[] = [];
  for (const alert of delivered) {
    const known = state.alerts.findIndex((a) => a.dedupeKey === alert.dedupeKey);
    const existing = known === -1 ? undefined : state.alerts[known];
    if (existing && (existing.status === alert.status || existing.status === 'resolved')) {
      state.duplicatesDropped++;
      continue;
    }
    if (existing) state.alerts[known] = alert;
    else state.alerts.push(alert);
    if (alert.status === 'firing') state.severity = moreSevere(state.severity, alert.severity);
    changed.push(alert);
  }
  return changed;
}

export function allResolved(state: IncidentState): boolean {
  return state.alerts.length > 0 && state.alerts.every((a) => a.status === 'resolved');
}

export function firstFiring(state: IncidentState): Alert | undefined {
  return state.alerts.find((a) => a.status === 'firing') ?? state.alerts[0];
}
