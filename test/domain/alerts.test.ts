import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import type { IncidentState } from '../../src/domain/incident.js';
import {
  absorbAlerts,
  ALERT_BOUNDS,
  alertNote,
  allResolved,
  firstFiring,
  ledgerKey,
  MAX_SENDERS_SEEN,
  type AlertPatches,
} from '../../src/workflows/alerts.js';
import { sendersOf } from '../../src/domain/incident-view.js';
import { incidentState } from '../support/incident.js';

/** Every patch on, but those given. */
const patches = (off: Partial<AlertPatches> = {}): AlertPatches => ({
  countsFiring: () => true,
  keepsOpening: () => true,
  strongKeys: () => true,
  refires: () => true,
  notesSenders: () => true,
  ...off,
});

const newState = incidentState;

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

/** The alert as the API makes it for a sender: the sender is part of its dedupeKey. */
function sentBy(sender: string, overrides: Partial<Alert> = {}): Alert {
  const base = alert(overrides);
  return { ...base, sender, dedupeKey: `${sender}/${base.dedupeKey}` };
}

describe('absorbAlerts, by sender', () => {
  it("when one sender's own alerts push another sender's alert out of what the incident holds, then both senders still count", () => {
    const state = newState();
    const flood = Array.from({ length: ALERT_BOUNDS.kept - 1 }, (_, i) =>
      sentBy('mallory', { fingerprint: `f${i}` }),
    );
    absorbAlerts(
      state,
      [sentBy('mallory', { fingerprint: 'decoy' }), sentBy('alertmanager', { fingerprint: 'real' })],
      patches(),
    );
    absorbAlerts(state, flood, patches());

    expect(state.alerts.some((a) => a.sender === 'alertmanager')).toBe(false);
    expect(sendersOf(state)).toEqual(['mallory', 'alertmanager']);
  });

  it('when the incident runs from before senders were noted, then only the held alerts name them, as then', () => {
    const state = newState();
    absorbAlerts(state, [sentBy('mallory'), sentBy('alertmanager')], patches({ notesSenders: () => false }));
    expect(state.sendersSeen).toBeUndefined();
    expect(sendersOf(state)).toEqual(['mallory', 'alertmanager']);
  });

  it('when a sender mints identities, then the senders noted stay bounded, and a duplicate notes none', () => {
    const state = newState();
    const many = Array.from({ length: 3 * MAX_SENDERS_SEEN }, (_, i) => sentBy(`sender-${i}`));
    absorbAlerts(state, many, patches());
    expect(state.sendersSeen).toEqual(many.slice(0, MAX_SENDERS_SEEN).map((a) => a.sender));

    const other = newState();
    absorbAlerts(other, [sentBy('alertmanager')], patches());
    absorbAlerts(other, [sentBy('alertmanager')], patches());
    expect(other.sendersSeen).toEqual(['alertmanager']);
  });

  it('when another sender sends the resolution of a firing alert, then it does not resolve it', () => {
    const state = newState();
    absorbAlerts(state, [sentBy('alertmanager')]);

    absorbAlerts(state, [sentBy('mallory', { status: 'resolved' })]);

    expect(allResolved(state)).toBe(false);
    expect(state.alerts.map((a) => [a.sender, a.status])).toEqual([
      ['alertmanager', 'firing'],
      ['mallory', 'resolved'],
    ]);
    absorbAlerts(state, [sentBy('alertmanager', { status: 'resolved' })]);
    expect(allResolved(state)).toBe(true);
  });

  it('when an incident recorded an alert before senders were kept, then a sender matches it as before', () => {
    const state = newState();
    // Recorded as it was then: before senders, and before strong ledger keys.
    absorbAlerts(state, [alert()], patches({ strongKeys: () => false }));

    const again = absorbAlerts(state, [sentBy('alertmanager')]);
    expect(again).toEqual([]);
    expect(state.duplicatesDropped).toBe(1);

    absorbAlerts(state, [sentBy('alertmanager', { status: 'resolved' })]);
    expect(state.alerts).toHaveLength(1);
    expect(state.alerts[0]?.dedupeKey).toBe(alert().dedupeKey);
    expect(allResolved(state)).toBe(true);
  });

  it("when another sender puts the first sender's name in its fingerprint, then its resolution does not resolve the first's alert", () => {
    for (const strongKeys of [true, false]) {
      const state = newState();
      const keyed = patches({ strongKeys: () => strongKeys });
      absorbAlerts(state, [sentBy('alertmanager', { fingerprint: 'sc1' })], keyed);

      absorbAlerts(
        state,
        [sentBy('mallory', { fingerprint: 'alertmanager/sc1', status: 'resolved' })],
        keyed,
      );

      expect(allResolved(state)).toBe(false);
      expect(state.alerts.find((a) => a.sender === 'alertmanager')?.status).toBe('firing');
    }
  });

  it('when the strong-key patch is on, then entries are recorded under a SHA-256 key, and entries recorded before it still match', () => {
    const state = newState();
    const weak = patches({ strongKeys: () => false });
    absorbAlerts(state, [sentBy('alertmanager', { fingerprint: 'old' })], weak);
    absorbAlerts(state, [sentBy('alertmanager', { fingerprint: 'new' })]);
    const keys = Object.keys(state.alertLedger ?? {});
    expect(keys).toEqual([
      ledgerKey('alertmanager/old@2024-05-01T10:00:00Z'),
      expect.stringMatching(/^h[\w-]{16}$/),
    ]);

    expect(absorbAlerts(state, [sentBy('alertmanager', { fingerprint: 'old' })])).toEqual([]);
    absorbAlerts(state, [
      sentBy('alertmanager', { fingerprint: 'old', status: 'resolved' }),
      sentBy('alertmanager', { fingerprint: 'new', status: 'resolved' }),
    ]);
    expect(Object.keys(state.alertLedger ?? {})).toHaveLength(2);
    expect(allResolved(state)).toBe(true);
  });

  it('when an alert was recorded with its sender, then a key without a sender never matches it', () => {
    const state = newState();
    absorbAlerts(state, [sentBy('alertmanager')]);

    absorbAlerts(state, [alert({ status: 'resolved' })]);

    expect(allResolved(state)).toBe(false);
  });

  it('when an alert sent without its start fires again after it resolved, then it fires again; one that named its start stays resolved', () => {
    const state = newState();
    const generic = (status: Alert['status']) =>
      sentBy('api', { fingerprint: 'pay-1', startsAt: 'unspecified', status });
    absorbAlerts(state, [generic('firing'), sentBy('api', { fingerprint: 'other' })]);
    absorbAlerts(state, [generic('resolved')]);
    expect(absorbAlerts(state, [generic('firing')]).map((a) => a.status)).toEqual(['firing']);
    expect(state.alerts.find((a) => a.fingerprint === 'pay-1')?.status).toBe('firing');

    absorbAlerts(state, [sentBy('api', { fingerprint: 'other', status: 'resolved' })]);
    expect(absorbAlerts(state, [sentBy('api', { fingerprint: 'other' })])).toEqual([]);

    // The patch off (a run from before it, replayed): the re-fire is dropped, as it was then.
    const before = newState();
    const off = patches({ refires: () => false });
    absorbAlerts(before, [generic('firing')], off);
    absorbAlerts(before, [generic('resolved')], off);
    expect(absorbAlerts(before, [generic('firing')], off)).toEqual([]);
  });

  it('names the sender in the timeline', () => {
    expect(alertNote(sentBy('alertmanager', { annotations: { summary: 'down' } })).message).toBe(
      'ServiceDown firing (from alertmanager): down',
    );
  });
});

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

describe('absorbAlerts within its bounds', () => {
  const many = (n: number, from = 0, status: Alert['status'] = 'firing'): Alert[] =>
    Array.from({ length: n }, (_, i) => alert({ fingerprint: `fp-${from + i}`, status }));
  const consistent = (s: IncidentState): boolean =>
    s.alerts.length + (s.alertsDropped ?? 0) === s.alertsReceived;

  it('when 200 alerts arrive, then the one that opened the incident and the latest 49 are held, and every one is counted', () => {
    const state = newState();

    const changed = absorbAlerts(state, many(200));

    expect(changed).toHaveLength(200);
    expect(state.alerts).toHaveLength(ALERT_BOUNDS.kept);
    expect(state.alerts[0]?.fingerprint).toBe('fp-0');
    expect(state.alerts[1]?.fingerprint).toBe('fp-151');
    expect(state.alerts.at(-1)?.fingerprint).toBe('fp-199');
    expect(state.alertsReceived).toBe(200);
    expect(state.alertsDropped).toBe(150);
    expect(consistent(state)).toBe(true);
  });

  it('when all 200 are delivered again, then each is a duplicate, held or not, and nothing changes', () => {
    const state = newState();
    absorbAlerts(state, many(200));
    const before = structuredClone(state);

    const changed = absorbAlerts(state, many(200));

    expect(changed).toEqual([]);
    expect(state.duplicatesDropped).toBe(200);
    expect({ ...state, duplicatesDropped: 0 }).toEqual(before);
  });

  it('when every alert resolves but one no longer held, then the incident is not all resolved until it does', () => {
    const state = newState();
    absorbAlerts(state, many(200));

    absorbAlerts(state, [...many(1, 0, 'resolved'), ...many(198, 2, 'resolved')]);

    expect(state.alerts.some((a) => a.fingerprint === 'fp-1')).toBe(false);
    expect(allResolved(state)).toBe(false);
    absorbAlerts(state, many(1, 1, 'resolved'));
    expect(allResolved(state)).toBe(true);
    expect(state.alertsReceived).toBe(200);
    expect(consistent(state)).toBe(true);
  });

  it('when 50 alerts arrive after the one that opened the incident, then it stays held while it fires, and the plan reads it', () => {
    // A second probe chose the container a runbook restarts this way: the plan reads the first firing alert.
    const state = newState();
    absorbAlerts(state, [
      alert({ fingerprint: 'real', labels: { alertname: 'ServiceDown', container: 'web-1' } }),
    ]);

    absorbAlerts(
      state,
      Array.from({ length: 50 }, (_, i) =>
        alert({ fingerprint: `evil-${i}`, labels: { alertname: 'ServiceDown', container: 'evil-db' } }),
      ),
    );

    expect(state.alerts).toHaveLength(ALERT_BOUNDS.kept);
    expect(firstFiring(state)?.labels['container']).toBe('web-1');
    absorbAlerts(state, [alert({ fingerprint: 'real', status: 'resolved' })]);
    absorbAlerts(state, [alert({ fingerprint: 'evil-50' })]);
    expect(state.alerts.some((a) => a.fingerprint === 'real')).toBe(false);
    // The patch off (a run from before it, replayed): the oldest leaves, as it did then.
    const before = newState();
    const off = patches({ keepsOpening: () => false });
    absorbAlerts(before, [alert({ fingerprint: 'real', labels: { container: 'web-1' } })], off);
    absorbAlerts(
      before,
      Array.from({ length: 50 }, (_, i) => alert({ fingerprint: `evil-${i}` })),
      off,
    );
    expect(before.alerts.some((a) => a.fingerprint === 'real')).toBe(false);
  });

  it('when the held alerts are over the count, then resolved ones leave before firing ones', () => {
    const state = newState();
    absorbAlerts(state, many(ALERT_BOUNDS.kept));
    absorbAlerts(state, many(1, 10, 'resolved'));

    absorbAlerts(state, many(1, 1000));

    expect(state.alerts.map((a) => a.fingerprint)).not.toContain('fp-10');
    expect(state.alerts[0]?.fingerprint).toBe('fp-0');
    expect(state.alertsDropped).toBe(1);
  });

  it('when large alerts arrive, then what is held stays within its bytes, and the newest and the firing opening alert are always held', () => {
    const state = newState();
    const big = (i: number, bytes: number): Alert =>
      alert({ fingerprint: `big-${i}`, annotations: { description: 'x'.repeat(bytes) } });

    absorbAlerts(
      state,
      Array.from({ length: 40 }, (_, i) => big(i, 32 * 1024)),
    );
    expect(Buffer.byteLength(JSON.stringify(state.alerts))).toBeLessThanOrEqual(ALERT_BOUNDS.keptBytes);
    expect(state.alerts.at(-1)?.fingerprint).toBe('big-39');

    // Past every limit an alert can reach at the edge: only it and the alert whose labels fill the plan stay.
    absorbAlerts(state, [big(99, ALERT_BOUNDS.keptBytes + 1)]);
    expect(state.alerts.map((a) => a.fingerprint)).toEqual(['big-0', 'big-99']);
    expect(consistent(state)).toBe(true);
  });

  it('when state comes from a run before the bounds, then its alerts seed the ledger and the counts', () => {
    const state = newState({
      alerts: [alert({ fingerprint: 'old-1', status: 'resolved' }), alert({ fingerprint: 'old-2' })],
    });

    const changed = absorbAlerts(state, [alert({ fingerprint: 'old-1' }), alert({ fingerprint: 'new-1' })]);

    expect(changed.map((a) => a.fingerprint)).toEqual(['new-1']);
    expect(state.duplicatesDropped).toBe(1);
    expect(state.alertsReceived).toBe(3);
    expect(allResolved(state)).toBe(false);
    absorbAlerts(state, [
      alert({ fingerprint: 'old-2', status: 'resolved' }),
      alert({ fingerprint: 'new-1', status: 'resolved' }),
    ]);
    expect(allResolved(state)).toBe(true);
  });

  it('when more distinct alerts arrive than the ledger tracks, then resolved entries are forgotten first', () => {
    const state = newState();
    absorbAlerts(state, many(100, 0, 'resolved'));

    absorbAlerts(state, many(ALERT_BOUNDS.tracked, 100));

    expect(Object.keys(state.alertLedger ?? {})).toHaveLength(ALERT_BOUNDS.tracked);
    expect(state.alertsUntracked).toBe(100);
    expect(Object.values(state.alertLedger ?? {})).not.toContain(0);
    expect(state.alertsReceived).toBe(ALERT_BOUNDS.tracked + 100);
  });

  it('when a firing alert is pushed out of the ledger by others sent and resolved, then the incident does not count as all resolved', () => {
    const state = newState();
    absorbAlerts(state, [alert({ fingerprint: 'real' })]);
    const flood = (status: Alert['status']): Alert[] =>
      Array.from({ length: ALERT_BOUNDS.tracked + 1000 }, (_, i) =>
        alert({ fingerprint: `attack-${i}`, status }),
      );

    absorbAlerts(state, flood('firing'));
    absorbAlerts(state, flood('resolved'));

    expect(state.firingUntracked).toBeGreaterThan(0);
    expect(Object.values(state.alertLedger ?? {})).not.toContain(1);
    expect(allResolved(state)).toBe(false);
    // The patch off (a run from before it, replayed): the ledger alone decides, as it did then.
    const before = newState();
    const off = patches({ countsFiring: () => false });
    absorbAlerts(before, [alert({ fingerprint: 'real' })], off);
    absorbAlerts(before, flood('firing'), off);
    absorbAlerts(before, flood('resolved'), off);
    expect(before.firingUntracked).toBeUndefined();
    expect(allResolved(before)).toBe(true);
  });

  it('when only resolved entries are forgotten, then the incident still closes once its alerts resolve', () => {
    const state = newState();
    absorbAlerts(state, many(ALERT_BOUNDS.tracked, 0, 'resolved'));
    absorbAlerts(state, many(10, ALERT_BOUNDS.tracked));
    expect(state.firingUntracked).toBeUndefined();
    expect(allResolved(state)).toBe(false);
    absorbAlerts(state, many(10, ALERT_BOUNDS.tracked, 'resolved'));
    expect(allResolved(state)).toBe(true);
  });

  it('when 10,000 alerts of 8 KiB arrive, then the state stays far below the 2 MB payload limit', () => {
    const state = newState();
    const sent = Array.from({ length: 10_000 }, (_, i) =>
      alert({
        fingerprint: `fp-${i}`,
        annotations: { summary: `alert ${i}`, description: '€'.repeat(2730) },
      }),
    );

    for (let i = 0; i < sent.length; i += 500) absorbAlerts(state, sent.slice(i, i + 500));

    const bytes = Buffer.byteLength(JSON.stringify(state));
    expect(Buffer.byteLength(JSON.stringify(sent[0])) * sent.length).toBeGreaterThan(80 * 1024 * 1024);
    expect(bytes).toBeLessThan(512 * 1024);
    expect(state.alertsReceived).toBe(10_000);
  }, 60_000);
});

describe('ledgerKey', () => {
  it('when keys differ by one character, then their ledger keys differ, and none looks like an index', () => {
    const keys = new Set(Array.from({ length: 20_000 }, (_, i) => ledgerKey(`fp-${i}@2024-05-01T10:00:00Z`)));

    expect(keys.size).toBe(20_000);
    expect([...keys].every((k) => /^k[0-9a-z]+$/.test(k))).toBe(true);
  });
});

describe('alertNote', () => {
  it('when an alert has a long summary, then its timeline line is cut and the alert keeps it whole', () => {
    const long = 'ä'.repeat(5000);
    const a = alert({ annotations: { summary: long } });

    const { event, message } = alertNote(a);

    expect(event).toBe('alert-firing');
    expect(Buffer.byteLength(message)).toBeLessThan(600);
    expect(message).toMatch(/^ServiceDown firing: ä+…\(cut\)$/);
    expect(a.annotations['summary']).toBe(long);
  });
});
