import { describe, expect, it } from 'vitest';
import {
  decideReservation,
  pruneReservations,
  type Reservation,
  type ReserveRequest,
} from '../../src/guards/policy.js';

const HOUR = 3_600_000;
const MIN = 60_000;
const T0 = Date.parse('2026-11-24T10:00:00Z');

const request = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({
  target: 'docker/container/web',
  action: 'docker.restart',
  incidentId: 'incident-b',
  stepKey: 'incident-b/0/0',
  policy: { cooldownMs: 5 * MIN, maxActionsPerTarget: 3, windowMs: HOUR },
  ...over,
});
const held = (at: number, over: Partial<Reservation> = {}): Reservation => ({
  target: 'docker/container/web',
  action: 'docker.restart',
  incidentId: 'incident-a',
  stepKey: `incident-a/0/${at}`,
  at,
  ...over,
});

describe('decideReservation', () => {
  it('when nothing touched the target, then the action is granted and recorded at the current time', () => {
    const result = decideReservation([], request(), T0);
    expect(result).toStrictEqual({
      granted: true,
      reservation: {
        target: 'docker/container/web',
        action: 'docker.restart',
        incidentId: 'incident-b',
        stepKey: 'incident-b/0/0',
        at: T0,
      },
    });
  });

  it('when another incident acted within the cooldown, then the action is refused with who, when and until when', () => {
    const result = decideReservation([held(T0 - 2 * MIN)], request(), T0);
    expect(result.granted).toBe(false);
    if (result.granted) return;
    expect(result.reason).toBe(
      'docker/container/web was changed by incident incident-a at 2026-11-24T09:58:00.000Z (docker.restart); the cooldown of 5m ends at 2026-11-24T10:03:00.000Z',
    );
  });

  it('when the other incident acted just before the cooldown ended, then it is still refused; just after, granted', () => {
    expect(decideReservation([held(T0 - 5 * MIN + 1)], request(), T0).granted).toBe(false);
    expect(decideReservation([held(T0 - 5 * MIN)], request(), T0).granted).toBe(true);
  });

  it('when two other incidents acted, then the cooldown runs from the latest of them, so a restart storm is stopped', () => {
    // incident-a restarted long ago; incident-c restarted a minute ago; incident-b asks now.
    const storm = [
      held(T0 - 30 * MIN),
      held(T0 - MIN, { incidentId: 'incident-c', stepKey: 'incident-c/0/0' }),
    ];
    const result = decideReservation(storm, request(), T0);
    expect(result).toEqual({
      granted: false,
      reason:
        'docker/container/web was changed by incident incident-c at 2026-11-24T09:59:00.000Z (docker.restart); the cooldown of 5m ends at 2026-11-24T10:04:00.000Z',
    });
    expect(decideReservation(storm, request(), T0 + 4 * MIN).granted).toBe(true);
  });

  it('when ten incidents ask one a minute, then only one action per cooldown is granted', () => {
    let kept: Reservation[] = [];
    const grantedAt: number[] = [];
    for (let i = 0; i < 10; i++) {
      const incidentId = `incident-${i}`;
      const now = T0 + i * MIN;
      const result = decideReservation(kept, request({ incidentId, stepKey: `${incidentId}/0/0` }), now);
      if (!result.granted) continue;
      kept = [...kept, result.reservation];
      grantedAt.push((now - T0) / MIN);
    }
    expect(grantedAt).toEqual([0, 5]);
  });

  it('when the same incident acted a moment ago, then the cooldown does not apply to it', () => {
    const own = held(T0 - MIN, { incidentId: 'incident-b', stepKey: 'incident-b/0/0' });
    const result = decideReservation([own], request({ stepKey: 'incident-b/0/1' }), T0);
    expect(result.granted).toBe(true);
  });

  it('when the window already holds the maximum, then the next action is refused until the oldest leaves it', () => {
    const past = [held(T0 - 50 * MIN), held(T0 - 40 * MIN), held(T0 - 30 * MIN)];
    const refused = decideReservation(past, request(), T0);
    expect(refused.granted).toBe(false);
    if (!refused.granted) {
      expect(refused.reason).toBe(
        'docker/container/web already had 3 action(s) in the last 1h (at most 3); the next is allowed at 2026-11-24T10:10:00.000Z',
      );
    }
    expect(decideReservation(past, request(), T0 + 10 * MIN).granted).toBe(true);
  });

  it('when actions touched other targets, then they do not count', () => {
    const others = [1, 2, 3, 4].map((i) => held(T0 - i * MIN, { target: `docker/container/other-${i}` }));
    expect(decideReservation(others, request(), T0).granted).toBe(true);
  });

  it('when a retried step asks again, then it gets its own reservation back, even past the limits', () => {
    const own = held(T0 - MIN, { incidentId: 'incident-b', stepKey: 'incident-b/0/0' });
    const full = [held(T0 - 3 * MIN), held(T0 - 2 * MIN), own];
    const result = decideReservation(full, request(), T0);
    expect(result).toEqual({ granted: true, reservation: own });
  });

  it('when remediation is paused, then every new action is refused with who paused it and why', () => {
    const result = decideReservation([], request(), T0, {
      actor: 'alice',
      reason: 'database migration',
      at: T0 - MIN,
    });
    expect(result).toEqual({
      granted: false,
      reason: 'remediation is paused by alice since 2026-11-24T09:59:00.000Z: database migration',
    });
  });
});

describe('pruneReservations', () => {
  it('keeps what is younger than the horizon and drops the rest', () => {
    const kept = pruneReservations([held(T0 - 2 * HOUR), held(T0 - HOUR + 1)], T0, HOUR);
    expect(kept.map((r) => r.at)).toEqual([T0 - HOUR + 1]);
  });
});
