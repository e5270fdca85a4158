import { describe, expect, it } from 'vitest';
import { breakdown, SENDER_CLOCK_SKEW_MS, SENDER_TIME_MAX_AGE_MS } from '../../src/domain/breakdown.js';

const opened = '2026-11-24T06:20:05.000Z';
const milestones = {
  opened,
  recommended: '2026-11-24T06:20:07.000Z',
  approved: '2026-11-24T06:21:07.000Z',
  firstAction: '2026-11-24T06:21:08.000Z',
  verified: '2026-11-24T06:22:08.000Z',
};

describe('breakdown', () => {
  it('times each phase from the milestones, and the whole from the fault the alert names', () => {
    const times = breakdown({
      milestones: {
        ...milestones,
        alertFiring: '2026-11-24T06:20:00.000Z',
        fault: '2026-11-24T06:19:00.000Z',
      },
    });

    expect(times.phases).toEqual({
      open: 5,
      triage: 2,
      approval_wait: 60,
      to_first_action: 1,
      to_verified: 60,
    });
    expect(times.totalSeconds).toBe(188);
    expect(times.notificationToActionSeconds).toBe(3);
  });

  it("leaves out a time the sender gave that lies implausibly long before the incident opened (Alertmanager's zero time)", () => {
    const times = breakdown({
      milestones: { ...milestones, alertFiring: '0001-01-01T00:00:00Z', fault: '1971-01-01T00:00:00Z' },
    });

    expect(times.phases.open).toBeUndefined();
    expect(times.totalSeconds).toBe(123); // from the opening
  });

  it('leaves out a time the sender gave that lies after the incident opened by more than clocks differ', () => {
    const times = breakdown({
      milestones: { ...milestones, alertFiring: '9999-12-31T23:59:59Z', fault: '2026-11-24T07:20:05.000Z' },
    });

    expect(times.phases.open).toBeUndefined();
    expect(times.totalSeconds).toBe(123); // from the opening
    const skewed = new Date(Date.parse(opened) + SENDER_CLOCK_SKEW_MS - 1000).toISOString();
    expect(breakdown({ milestones: { ...milestones, alertFiring: skewed } }).phases.open).toBe(0);
  });

  it('believes an alert that fired for weeks before the incident opened', () => {
    const weeks = new Date(Date.parse(opened) - SENDER_TIME_MAX_AGE_MS + 60_000).toISOString();

    expect(breakdown({ milestones: { ...milestones, alertFiring: weeks } }).phases.open).toBe(
      SENDER_TIME_MAX_AGE_MS / 1000 - 60,
    );
  });
});
