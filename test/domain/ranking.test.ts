import { describe, expect, it } from 'vitest';
import { explainRanking, rankByOutcomes, type OutcomeRecord } from '../../src/domain/ranking.js';

const rec = (
  successes: number,
  failures: number,
  scope: OutcomeRecord['scope'] = 'alert',
): OutcomeRecord => ({
  successes,
  failures,
  scope,
});

describe('rankByOutcomes', () => {
  it('when one runbook nearly always worked, then it beats one never tried', () => {
    const ranked = rankByOutcomes(['new', 'proven'], new Map([['proven', rec(9, 1)]]));
    expect(ranked.map((r) => r.runbookId)).toEqual(['proven', 'new']);
  });

  it('when the only tried runbook is mediocre, then a new one still gets tried', () => {
    const ranked = rankByOutcomes(['so-so', 'new'], new Map([['so-so', rec(5, 5)]]));
    expect(ranked.map((r) => r.runbookId)).toEqual(['new', 'so-so']);
  });

  it('when a runbook keeps failing, then it sinks below the alternatives', () => {
    const ranked = rankByOutcomes(['failing', 'other'], new Map([['failing', rec(0, 3)]]));
    expect(ranked[0]?.runbookId).toBe('other');
    expect(ranked[1]?.upperBound).toBeLessThan(0.5);
  });

  it('when nothing is known, then the given order (specificity) decides', () => {
    expect(rankByOutcomes(['a', 'b', 'c'], new Map()).map((r) => r.runbookId)).toEqual(['a', 'b', 'c']);
    expect(rankByOutcomes(['a'], new Map())[0]?.upperBound).toBeCloseTo(0.9, 10);
  });
});

describe('explainRanking', () => {
  it('says why in one sentence, with the numbers', () => {
    const ranked = rankByOutcomes(
      ['restart', 'scale-out'],
      new Map([
        ['restart', rec(9, 1, 'alert-and-service')],
        ['scale-out', rec(1, 2)],
      ]),
    );
    expect(explainRanking(ranked, 'HighLatency', 'checkout')).toBe(
      '"restart" was picked because it fixed 9 of 10 similar incidents (HighLatency on checkout), ahead of "scale-out" (fixed 1 of 3 similar incidents (HighLatency)).',
    );
  });

  it('says plainly when no similar incident has used the pick', () => {
    const ranked = rankByOutcomes(['restart'], new Map());
    expect(explainRanking(ranked, 'ServiceDown', 'web')).toBe(
      '"restart" was picked because no similar incident (ServiceDown) has used it yet.',
    );
  });
});
