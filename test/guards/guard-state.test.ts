import { describe, expect, it } from 'vitest';
import type { ReserveRequest } from '../../src/guards/policy.js';
import { applyReservation, type GuardState } from '../../src/workflows/guard.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** `count` actions spread evenly over a day, each on its own container (a 64-hex ID, as resolved). */
function busyDay(count: number, policy: ReserveRequest['policy']): GuardState {
  const state: GuardState = { reservations: [] };
  for (let i = 0; i < count; i++) {
    const incidentId = `incident/alertname=ServiceDown,service=svc-${i}`;
    applyReservation(
      state,
      {
        target: `docker/container/${i.toString(16).padStart(64, '0')}`,
        action: 'docker.restart',
        incidentId,
        stepKey: `${incidentId}/0/0`,
        policy,
      },
      Math.floor((i * DAY) / count),
    );
  }
  return state;
}

describe("the remediation guard's carried state", () => {
  it('at 10,000 actions a day with one-hour windows, holds one hour of them, not a week', () => {
    const state = busyDay(10_000, { cooldownMs: 5 * 60_000, maxActionsPerTarget: 3, windowMs: HOUR });
    const bytes = Buffer.byteLength(JSON.stringify(state));
    // One hour of a day's 10,000: 417 reservations (of about 250 bytes each).
    expect(state.reservations).toHaveLength(417);
    expect(bytes).toBeLessThan(150_000);
    expect(state.keepMs).toBe(HOUR);
  });

  it('keeps what the longest window in use can still count', () => {
    const state: GuardState = { reservations: [] };
    const policy = (windowMs: number): ReserveRequest['policy'] => ({
      cooldownMs: 0,
      maxActionsPerTarget: 100,
      windowMs,
    });
    const ask = (i: number, at: number, windowMs: number) =>
      applyReservation(
        state,
        { target: 't', action: 'a', incidentId: `i${i}`, stepKey: `i${i}/0/0`, policy: policy(windowMs) },
        at,
      );
    ask(1, 0, 6 * HOUR);
    ask(2, 2 * HOUR, HOUR);
    // Three hours on, a one-hour request would drop the first, but a six-hour runbook still counts it.
    ask(3, 3 * HOUR, HOUR);
    expect(state.reservations.map((r) => r.incidentId)).toEqual(['i1', 'i2', 'i3']);
    ask(4, 6 * HOUR + 1, HOUR);
    expect(state.reservations.map((r) => r.incidentId)).toEqual(['i2', 'i3', 'i4']);
  });
});
