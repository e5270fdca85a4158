import { describe, expect, it } from 'vitest';
import { mayNoteRefusal, REFUSALS_NOTED_PER_INCIDENT } from '../../src/incidents/decisions.js';

describe('mayNoteRefusal', () => {
  it('when an incident is refused without end while 20,000 others are refused once each, then it stays counted', () => {
    const now = Date.now();
    const hot = `hot-${now.toString(36)}`;
    for (let i = 0; i < REFUSALS_NOTED_PER_INCIDENT; i++) expect(mayNoteRefusal(hot, now)).toBe(true);
    expect(mayNoteRefusal(hot, now)).toBe(false);

    for (let i = 0; i < 20_000; i++) {
      expect(mayNoteRefusal(`other-${i}`, now)).toBe(true);
      // The refused incident is refused again between the others: it is the most recent, never the one to go.
      if (i % 1_000 === 0) expect(mayNoteRefusal(hot, now + i)).toBe(false);
    }
    expect(mayNoteRefusal(hot, now + 1_000)).toBe(false);
    // An hour later its refusals are noted again.
    expect(mayNoteRefusal(hot, now + 60 * 60_000)).toBe(true);
  });
});
