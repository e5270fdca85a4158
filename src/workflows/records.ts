import type { IncidentState } from '../domain/incident.js';

/** What the lifecycle activities receive: what they use, never more (each input is kept in history). */

/** The opening log line and metric: the incident's identity and how many alerts it has had. */
export interface IncidentOpened {
  incidentId: string;
  title: string;
  service: string;
  alertName: string;
  severity: string;
  alertsReceived: number;
}

/** The report and the closing metrics use the whole state but the alert ledger (only the workflow's). */
export type IncidentClosed = Omit<IncidentState, 'alertLedger'>;

export function incidentOpened(state: IncidentState): IncidentOpened {
  const { incidentId, title, service, alertName, severity } = state;
  return {
    incidentId,
    title,
    service,
    alertName,
    severity,
    alertsReceived: state.alertsReceived ?? state.alerts.length,
  };
}

export function incidentClosed(state: IncidentState): IncidentClosed {
  const closed: IncidentClosed & Partial<Pick<IncidentState, 'alertLedger'>> = { ...state };
  delete closed.alertLedger;
  return closed;
}
