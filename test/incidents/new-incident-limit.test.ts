import { describe, expect, it } from 'vitest';
import { NewIncidentLimit } from '../../src/incidents/new-incident-limit.js';

/** A limit of `perMinute` on a clock the test moves. */
function limited(perMinute: number, remembered?: number) {
  const clock = { now: 1_000_000 };
  return { limit: new NewIncidentLimit(perMinute, () => clock.now, remembered), clock };
}

describe('new incidents one sender may open a minute', () => {
  it('admits up to the limit, then refuses with the seconds until the oldest leaves the minute', () => {
    const { limit, clock } = limited(3);
    expect(limit.admit('am', ['a', 'b'])).toMatchObject({ ok: true });
    clock.now += 20_000;
    expect(limit.admit('am', ['c'])).toMatchObject({ ok: true });
    expect(limit.admit('am', ['d'])).toEqual({ ok: false, retryAfterS: 40 });
    clock.now += 40_000;
    expect(limit.admit('am', ['d'])).toMatchObject({ ok: true });
  });

  it('refuses a request all or nothing: one that would pass the limit counts none of its keys', () => {
    const { limit } = limited(3);
    expect(limit.admit('am', ['a', 'b'])).toMatchObject({ ok: true });
    expect(limit.admit('am', ['c', 'd'])).toMatchObject({ ok: false });
    expect(limit.admit('am', ['c'])).toMatchObject({ ok: true });
  });

  it('does not count a group the sender reached in the last hour, nor the same key twice in one request', () => {
    const { limit, clock } = limited(2);
    expect(limit.admit('am', ['a', 'a', 'b'])).toMatchObject({ ok: true });
    for (let minute = 0; minute < 59; minute++) {
      clock.now += 60_000;
      expect(limit.admit('am', ['a', 'b'])).toMatchObject({ ok: true });
    }
    expect(limit.admit('am', ['c', 'd'])).toMatchObject({ ok: true });
    // Not reached for an hour: new again.
    clock.now += 60 * 60_000 + 1;
    expect(limit.admit('am', ['a', 'b', 'c'])).toMatchObject({ ok: false });
  });

  it('gives back the incidents a request then did not open, and only those it had counted as new', () => {
    const { limit } = limited(3);
    expect(limit.admit('am', ['a'])).toEqual({ ok: true, counted: ['a'] });
    // b and c were counted; the request failed before opening c (Temporal down): c is given back.
    expect(limit.admit('am', ['a', 'b', 'c'])).toEqual({ ok: true, counted: ['b', 'c'] });
    limit.release('am', ['c']);
    expect(limit.admit('am', ['d'])).toEqual({ ok: true, counted: ['d'] });
    expect(limit.admit('am', ['e'])).toMatchObject({ ok: false });
    // Its retry counts c as new again, within the minute it was given back.
    limit.release('am', ['d']);
    expect(limit.admit('am', ['c'])).toEqual({ ok: true, counted: ['c'] });
  });

  it("never holds one sender back for another's incidents", () => {
    const { limit } = limited(1);
    expect(limit.admit('stranger', ['x'])).toMatchObject({ ok: true });
    expect(limit.admit('stranger', ['y'])).toMatchObject({ ok: false });
    expect(limit.admit('alertmanager', ['y'])).toMatchObject({ ok: true });
  });

  it('remembers a bounded number of keys per sender, the least recently reached forgotten first', () => {
    const { limit, clock } = limited(1, 2);
    expect(limit.admit('am', ['a'])).toMatchObject({ ok: true });
    clock.now += 61_000;
    expect(limit.admit('am', ['b'])).toMatchObject({ ok: true });
    clock.now += 61_000;
    expect(limit.admit('am', ['a'])).toMatchObject({ ok: true });
    clock.now += 61_000;
    // A third key: b, reached least recently, is forgotten.
    expect(limit.admit('am', ['c'])).toMatchObject({ ok: true });
    expect(limit.admit('am', ['a', 'c'])).toMatchObject({ ok: true });
    expect(limit.admit('am', ['b'])).toMatchObject({ ok: false });
  });

  it('with a limit of 0 admits everything', () => {
    const { limit } = limited(0);
    expect(
      limit.admit(
        'am',
        Array.from({ length: 10_000 }, (_, i) => `k${i}`),
      ),
    ).toMatchObject({ ok: true });
  });
});
