import type { IncidentState } from '../../src/domain/incident.js';

/** An incident's state as the workflow starts it, for pure tests; `overrides` sets what a test is about. */
export function incidentState(overrides: Partial<IncidentState> = {}): IncidentState {
  return {
    incidentId: 'incident-ServiceDown.checkout-0123456789',
    correlationKey: 'alertname=ServiceDown,service=checkout',
    title: 'ServiceDown on checkout',
    service: 'checkout',
    alertName: 'ServiceDown',
    severity: 'warning',
    stage: 'collect',
    openedAt: '2024-05-01T10:00:00.000Z',
    alerts: [],
    duplicatesDropped: 0,
    approvals: [],
    escalationLevel: 0,
    actions: [],
    timeline: [],
    milestones: {},
    ...overrides,
  };
}
