import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import type { IncidentState } from '../../src/domain/incident.js';
import { absorbAlerts, allResolved, firstFiring } from '../../src/workflows/alerts.js';

function newState(overrides: Partial<IncidentState> = {}): IncidentState {
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

function alert(overrides: Partial<Alert> = {}): Alert {
  const fingerprint = overrides.fingerprint ?? 'fp-1';
  const startsAt = overrides.startsAt ?? '2024-05-01T10:00:00Z';
  return {
    fingerprint,
    dedupeKey: `${fingerprint}@${startsAt}`,
    status: 'firing',
    alertName: 'ServiceDown',
    severity: 'warning',
    labels: { alertname: 'ServiceDown', service: 'checkout' },
    annotations: {},
    startsAt,
    source: 'alertmanager',
    ...overrides,
  };
}

describe('absorbAlerts', () => {
  it('when new alerts arrive, then they are added and returned as changed', () => {
    const state = newState();
    const a = alert({ fingerprint: 'fp-1' });
    const b = alert({ fingerprint: 'fp-2' });

    const changed = absorbAlerts(state, [a, b]);

    expect(changed).toEqual([a, b]);
    expect(state.alerts).toEqual([a, b]);
    expect(state.duplicatesDropped).toBe(0);
  });

  it('when the same alert is delivered again, then it is dropped and counted', () => {
    const state = newState();
    absorbAlerts(state, [alert()]);

    const changed = absorbAlerts(state, [alert()]);

    expect(changed).toEqual([]);
    expect(state.alerts).toHaveLength(1);
    expect(state.duplicatesDropped).toBe(1);
  });

  it('when one delivery holds the same alert twice, then the second copy is a duplicate', () => {
    const state = newState();

    const changed = absorbAlerts(state, [alert(), alert()]);

    expect(changed).toHaveLength(1);
    expect(state.alerts).toHaveLength(1);
    expect(state.duplicatesDropped).toBe(1);
  });

  it('when the resolved delivery of a firing alert arrives, then the alert becomes resolved', () => {
    const state = newState();
    absorbAlerts(state, [alert()]);
    const resolved = alert({ status: 'resolved', endsAt: '2024-05-01T10:05:00Z' });

    const changed = absorbAlerts(state, [resolved]);

    expect(changed).toEqual([resolved]);
    expect(state.alerts).toEqual([resolved]);
    expect(state.duplicatesDropped).toBe(0);
    expect(allResolved(state)).toBe(true);
  });

  it('when a late firing re-delivery arrives after resolution, then it is ignored and counted as duplicate', () => {
    const state = newState();
    absorbAlerts(state, [alert()]);
    absorbAlerts(state, [alert({ status: 'resolved' })]);

    const changed = absorbAlerts(state, [alert({ status: 'firing' })]);

    expect(changed).toEqual([]);
    expect(state.alerts[0]?.status).toBe('resolved');
    expect(state.duplicatesDropped).toBe(1);
  });

  it('when the same fingerprint fires again with a new startsAt, then it is a new alert', () => {
    const state = newState();
    absorbAlerts(state, [alert({ startsAt: '2024-05-01T10:00:00Z' })]);
    absorbAlerts(state, [alert({ startsAt: '2024-05-01T10:00:00Z', status: 'resolved' })]);

    const changed = absorbAlerts(state, [alert({ startsAt: '2024-05-01T11:00:00Z' })]);

    expect(changed).toHaveLength(1);
    expect(state.alerts.map((a) => a.status)).toEqual(['resolved', 'firing']);
    expect(allResolved(state)).toBe(false);
  });

  it('when a more severe firing alert arrives, then the incident severity rises', () => {
    const state = newState({ severity: 'warning' });

    absorbAlerts(state, [alert({ fingerprint: 'fp-9', severity: 'critical' })]);

    expect(state.severity).toBe('critical');
  });

  it('when a less severe firing alert arrives, then the incident severity stays', () => {
    const state = newState({ severity: 'high' });

    absorbAlerts(state, [alert({ severity: 'info' }), alert({ fingerprint: 'fp-2', severity: 'made-up' })]);

    expect(state.severity).toBe('high');
  });

  it('when a severe alert arrives already resolved, then the incident severity does not rise', () => {
    const state = newState({ severity: 'warning' });

    absorbAlerts(state, [alert({ status: 'resolved', severity: 'critical' })]);

    expect(state.severity).toBe('warning');
    expect(state.alerts).toHaveLength(1);
  });
});

describe('allResolved', () => {
  it('when the incident has no alerts, then it is not all resolved', () => {
    const state = newState();

    expect(allResolved(state)).toBe(false);
  });

  it('when any alert still fires, then it is not all resolved', () => {
    const state = newState({
      alerts: [alert({ status: 'resolved' }), alert({ fingerprint: 'fp-2' })],
    });

    expect(allResolved(state)).toBe(false);
  });

  it('when every alert is resolved, then it is all resolved', () => {
    const state = newState({
      alerts: [alert({ status: 'resolved' }), alert({ fingerprint: 'fp-2', status: 'resolved' })],
    });

    expect(allResolved(state)).toBe(true);
  });
});

describe('firstFiring', () => {
  it('when some alert fires, then the first firing one is returned, else the first alert', () => {
    const resolved = alert({ status: 'resolved' });
    const firing = alert({ fingerprint: 'fp-2' });

    expect(firstFiring(newState({ alerts: [resolved, firing] }))).toBe(firing);
    expect(firstFiring(newState({ alerts: [resolved] }))).toBe(resolved);
    expect(firstFiring(newState())).toBeUndefined();
  });
});
