import { describe, expect, it } from 'vitest';
import { categoryOf } from '../../src/nab/holdout.js';
import { probationLength, rowWeights } from '../../src/nab/scorer.js';
import { glitchRow, syntheticCorpus, type SyntheticSeries } from '../../src/nab/synthetic.js';

const corpus = syntheticCorpus(1);
const of = (category: string): SyntheticSeries[] => corpus.filter((s) => categoryOf(s.key) === category);
const steps = (s: SyntheticSeries): number[] =>
  Array.from(s.timestamps.subarray(1), (t, i) => t - (s.timestamps[i] ?? 0));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

describe('the synthetic corpus', () => {
  it('keeps the first five categories as they were when the long ones were appended', () => {
    // The generator draws from one stream in category order; the long categories come last so each
    // seed's earlier series (and their published figures) did not move. A fingerprint of seed 1's.
    const early = corpus.filter((s) => !/Long/.test(categoryOf(s.key)));
    expect(early).toHaveLength(45);
    expect(early.reduce((n, s) => n + s.rowCount, 0)).toBe(215_189);
  });

  it('is the same for the same seed and different for another', () => {
    const again = syntheticCorpus(1);
    expect(again.map((s) => s.key)).toEqual(corpus.map((s) => s.key));
    const same = (a: Float64Array, b: Float64Array | undefined): boolean =>
      b !== undefined && Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
    again.forEach((s, i) => {
      expect(same(s.values, corpus[i]?.values)).toBe(true);
      expect(same(s.timestamps, corpus[i]?.timestamps)).toBe(true);
      expect(s.windows).toEqual(corpus[i]?.windows);
    });
    expect(same(syntheticCorpus(2)[0]?.values ?? new Float64Array(), corpus[0]?.values)).toBe(false);
  });

  it('with a glitch, holds that one value before the first window of most series, every other value as without', () => {
    const glitched = syntheticCorpus(1, 2 ** 64 - 1);
    let placed = 0;
    glitched.forEach((s, i) => {
      const clean = corpus[i] as SyntheticSeries;
      const at = glitchRow(s);
      if (at !== undefined) placed++;
      s.values.forEach((v, row) => expect(v).toBe(row === at ? 2 ** 64 - 1 : clean.values[row]));
      if (at !== undefined) for (const [l] of s.windows) expect(l).toBeGreaterThan(at);
    });
    expect(placed).toBeGreaterThan(glitched.length / 2);
  });

  it('has valid NAB windows centred on anomalies past probation, and series without any', () => {
    for (const s of corpus) {
      expect(() => rowWeights(s, { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 })).not.toThrow();
      expect(s.windows).toHaveLength(s.anomalies.length);
      s.anomalies.forEach(({ onset }, k) => {
        const [l, r] = s.windows[k] ?? [0, -1];
        expect(onset).toBeGreaterThan(probationLength(s.rowCount));
        expect(onset).toBeGreaterThanOrEqual(l);
        expect(onset).toBeLessThanOrEqual(r);
      });
      expect(Array.from(s.values).every(Number.isFinite)).toBe(true);
      expect(steps(s).every((d) => d > 0)).toBe(true);
    }
    expect(corpus.filter((s) => s.windows.length === 0).length).toBeGreaterThanOrEqual(5);
  });

  it('covers what the NAB subset lacks: spacing, sparse counts, heavy tails, lengths', () => {
    expect(of('synthHourlyWeekly').every((s) => steps(s).every((d) => d === 3_600_000))).toBe(true);
    expect(of('synthFiveMinuteDaily').every((s) => steps(s).every((d) => d === 300_000))).toBe(true);
    const irregular = of('synthIrregular').flatMap(steps);
    expect(new Set(irregular).size).toBeGreaterThan(irregular.length / 2);
    expect(Math.max(...irregular)).toBeGreaterThan(3_600_000);
    for (const s of of('synthSparseCounts')) {
      expect(Array.from(s.values).filter((v) => v === 0).length / s.rowCount).toBeGreaterThan(0.6);
    }
    for (const s of of('synthHeavyTail'))
      expect(Math.max(...s.values) / median(Array.from(s.values))).toBeGreaterThan(4);
    const lengths = corpus.map((s) => s.rowCount);
    expect(Math.min(...lengths)).toBeLessThan(2000);
    expect(of('synthLongCounts').every((s) => s.rowCount >= 10_000 && s.rowCount <= 16_000)).toBe(true);
    for (const s of of('synthHourlyLong')) {
      expect(steps(s).every((d) => d === 3_600_000)).toBe(true);
      // At least half a year of hours: many weekly cycles, as the hourly series outside the subset have.
      expect(s.rowCount).toBeGreaterThanOrEqual(4000);
    }
    // Level shifts that persist: after a shift, the rest of the series stays moved.
    const shifted = of('synthHourlyLong').filter((s) => s.anomalies.some((a) => a.kind.startsWith('shift')));
    expect(shifted.length).toBeGreaterThan(0);
    expect(new Set(corpus.flatMap((s) => s.anomalies.map((a) => a.kind)))).toEqual(
      new Set(['spike', 'outage', 'shift-up', 'shift-down', 'burst', 'variance', 'flat-day']),
    );
  });
});
