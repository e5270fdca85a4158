import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import { RECENT_DELIVERIES, RecentDeliveries } from '../../src/incidents/recent-deliveries.js';

function alert(n: number, status: Alert['status'] = 'firing'): Alert {
  const fingerprint = `fp${n}`;
  const startsAt = '2026-11-30T03:00:00Z';
  return {
    fingerprint,
    dedupeKey: `${fingerprint}@${startsAt}`,
    status,
    alertName: 'Down',
    severity: 'critical',
    labels: { alertname: 'Down', instance: `host-${n}` },
    annotations: {},
    startsAt,
    source: 'alertmanager',
  };
}

function clocked(
  limits = {
    ttlMs: 60_000,
    incidents: 3,
    alertsPerIncident: 4,
    alerts: 100,
    unopenedTtlMs: 900_000,
    unopened: 2,
  },
) {
  const clock = { now: 0 };
  const recognised: number[] = [];
  const recent = new RecentDeliveries(
    (n) => recognised.push(n),
    limits,
    () => clock.now,
  );
  return { recent, clock, recognised };
}

describe('what the API delivered lately, so a notification that repeats it is not sent again', () => {
  it('sends only what the incident was not given; a resolution of a firing alert is news', () => {
    const { recent, recognised } = clocked();
    recent.delivered('a', [alert(1), alert(2)]);
    expect(recent.unsent('a', [alert(1), alert(2), alert(3)])).toEqual([alert(3)]);
    expect(recent.unsent('a', [alert(1, 'resolved')])).toEqual([alert(1, 'resolved')]);
    expect(recent.unsent('b', [alert(1)])).toEqual([alert(1)]);
    expect(recognised).toEqual([2]);
  });

  it('remembers where a delivery went when it followed a merge, until a delivery reaches the incident itself', () => {
    const { recent } = clocked();
    recent.delivered('a', [alert(1)], 'b');
    expect(recent.reached('a')).toBe('b');
    recent.delivered('a', [alert(2)]);
    expect(recent.reached('a')).toBeUndefined();
    expect(recent.reached('c')).toBeUndefined();
  });

  it('remembers the run that took a delivery; a run it continued as takes its place, and only from that run', () => {
    const { recent } = clocked();
    recent.delivered('a', [alert(1)], undefined, 'run-1');
    // A delivery that names no run (a resolution reaching the open incident) keeps the run known.
    recent.delivered('a', [alert(2, 'resolved')]);
    expect(recent.run('a')).toBe('run-1');

    recent.continued('a', 'run-1', 'run-2');
    expect(recent.run('a')).toBe('run-2');
    expect(recent.unsent('a', [alert(1)])).toEqual([]);
    // Settled already by another delivery: a comparison with the older run moves nothing.
    recent.continued('a', 'run-1', 'run-9');
    expect(recent.run('a')).toBe('run-2');

    // Followed to a merge target, a delivery took no run of this incident's.
    recent.delivered('a', [alert(3)], 'b');
    expect(recent.run('a')).toBeUndefined();
    expect(recent.run('c')).toBeUndefined();
  });

  it('when a resolution reached no incident, then its firing arriving later is left out, for a while and a bounded number', () => {
    const { recent, clock } = clocked();
    recent.resolvedNowhere([alert(1, 'resolved'), alert(2, 'resolved')]);
    expect(recent.notResolvedNowhere([alert(1), alert(3), alert(2, 'resolved')])).toEqual([
      alert(3),
      alert(2, 'resolved'),
    ]);
    recent.resolvedNowhere([alert(3, 'resolved')]); // the oldest, alert 1, is forgotten past two
    expect(recent.notResolvedNowhere([alert(1), alert(2), alert(3)])).toEqual([alert(1)]);
    clock.now = 900_000;
    expect(recent.notResolvedNowhere([alert(2), alert(3)])).toEqual([alert(2), alert(3)]);
  });

  it('drops anything about an alert it delivered resolved, as the workflow would', () => {
    const { recent } = clocked();
    recent.delivered('a', [alert(1, 'resolved')]);
    expect(recent.unsent('a', [alert(1), alert(1, 'resolved')])).toEqual([]);
  });

  it('when an alert sent without its start fires again after it resolved, then the new firing is sent', () => {
    const { recent } = clocked();
    const generic = (status: Alert['status']): Alert => ({
      ...alert(9, status),
      dedupeKey: 'api/pay-1@unspecified',
      source: 'api',
    });
    recent.delivered('i1', [generic('firing')]);
    recent.delivered('i1', [generic('resolved')]);
    expect(recent.unsent('i1', [generic('firing')])).toHaveLength(1);
    // One that named its start stays resolved: its firing again is a late copy.
    recent.delivered('i1', [alert(1, 'firing')]);
    recent.delivered('i1', [alert(1, 'resolved')]);
    expect(recent.unsent('i1', [alert(1, 'firing')])).toEqual([]);
  });

  it('forgets an incident a minute after its first delivery, so a re-sent group reaches Temporal again', () => {
    const { recent, clock } = clocked();
    recent.delivered('a', [alert(1)]);
    clock.now = 59_999;
    recent.delivered('a', [alert(2)]);
    expect(recent.unsent('a', [alert(1), alert(2)])).toEqual([]);
    clock.now = 60_000;
    expect(recent.unsent('a', [alert(1), alert(2)])).toEqual([alert(1), alert(2)]);
  });

  it('is bounded: the incident delivered to least recently is forgotten first, and alerts per incident are capped', () => {
    const { recent } = clocked();
    for (const id of ['a', 'b', 'c']) recent.delivered(id, [alert(1)]);
    recent.delivered('a', [alert(2)]); // a is now the most recent
    recent.delivered('d', [alert(1)]);
    expect(recent.unsent('b', [alert(1)])).toEqual([alert(1)]);
    expect(recent.unsent('a', [alert(1)])).toEqual([]);
    recent.delivered(
      'e',
      [1, 2, 3, 4, 5, 6].map((n) => alert(n)),
    );
    expect(recent.unsent('e', [alert(4), alert(5)])).toEqual([alert(5)]);
  });

  it('bounds the alerts remembered in all: a sender filling many incidents pushes out the oldest, not memory', () => {
    const { recent } = clocked({
      ...RECENT_DELIVERIES,
      ttlMs: 60_000,
      incidents: 100,
      alertsPerIncident: 4,
      alerts: 6,
    });
    recent.delivered(
      'a',
      [1, 2, 3, 4].map((n) => alert(n)),
    );
    recent.delivered(
      'b',
      [1, 2, 3, 4].map((n) => alert(n)),
    );
    expect(recent.unsent('a', [alert(1)])).toEqual([alert(1)]);
    expect(recent.unsent('b', [alert(1), alert(4)])).toEqual([]);
    // Re-delivering what is remembered adds nothing, so it pushes nothing out.
    recent.delivered('b', [alert(1), alert(2)]);
    expect(recent.unsent('b', [alert(3)])).toEqual([]);
  });
});
