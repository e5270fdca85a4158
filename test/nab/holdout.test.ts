import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR_OPTIONS, scoreSeries, type DetectorOptions } from '../../src/detection/detector.js';
import {
  categoriesOf,
  categoryOf,
  chooseOnTrain,
  leaveOneCategoryOut,
  memoised,
  startingAt,
  type Candidate,
  type LabelledSeries,
  type SeriesScorer,
} from '../../src/nab/holdout.js';
import type { CostProfile } from '../../src/nab/scorer.js';

const STANDARD: CostProfile = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };
const FIVE_MIN = 300_000;

/** A noisy level with one jump of `jump` at row `at` and a window of 100 rows around it. */
function series(key: string, n: number, at: number, jump: number, seed: number): LabelledSeries {
  const values = Array.from({ length: n }, (_, i) => 50 + ((i * 7919 + seed * 104_729) % 17) / 4);
  for (let i = at; i < at + 5; i++) values[i] = (values[i] ?? 0) + jump;
  return {
    key,
    rowCount: n,
    values,
    timestamps: Array.from({ length: n }, (_, i) => i * FIVE_MIN),
    windows: [[at - 50, at + 50]],
  };
}

const corpus = (aJump: number): LabelledSeries[] => [
  series('a/one.csv', 1500, 1100, aJump, 1),
  series('a/two.csv', 1500, 1300, aJump, 2),
  series('b/one.csv', 1500, 1000, 12, 3),
  series('b/two.csv', 1800, 1500, 30, 4),
  series('c/one.csv', 1600, 1200, 8, 5),
];

const candidates: Candidate<DetectorOptions>[] = [
  { name: 'default', params: DEFAULT_DETECTOR_OPTIONS },
  { name: 'no pause', params: { ...DEFAULT_DETECTOR_OPTIONS, refractorySteps: 0 } },
  { name: 'no coarse grains', params: { ...DEFAULT_DETECTOR_OPTIONS, coarseScales: [] } },
];

describe('leave one category out', () => {
  it('names the category by the folder of the key', () => {
    expect(categoryOf('realKnownCause/nyc_taxi.csv')).toBe('realKnownCause');
    expect(categoryOf('loose.csv')).toBe('');
    expect(categoriesOf(corpus(20))).toEqual(['a', 'b', 'c']);
  });

  it('when a held-out series changes, then the parameters and threshold chosen for its fold do not move', () => {
    const detector: SeriesScorer<DetectorOptions> = memoised((s, p) =>
      scoreSeries(s.values, s.timestamps, p),
    );
    const before = leaveOneCategoryOut(corpus(20), candidates, detector, STANDARD);
    // Category a's jumps vanish: its windows can no longer be found.
    const after = leaveOneCategoryOut(corpus(0), candidates, detector, STANDARD);

    const fold = (r: typeof before, c: string) => r.folds.find((f) => f.category === c);
    const [a0, a1] = [fold(before, 'a'), fold(after, 'a')];
    expect(a1?.candidate).toBe(a0?.candidate);
    expect(a1?.threshold).toBe(a0?.threshold);
    expect(a1?.trainScore).toBe(a0?.trainScore);
    // The change did matter: a's own held-out score moved, and so did the folds a trains.
    expect(a1?.heldOutScore).not.toBe(a0?.heldOutScore);
    const trainedOnA = ['b', 'c'].map((c) => [fold(before, c)?.trainScore, fold(after, c)?.trainScore]);
    expect(trainedOnA.some(([x, y]) => x !== y)).toBe(true);
  });

  it('chooses on the training categories only, even when the held-out one would choose otherwise', () => {
    // A toy detector that fires `delay` rows after the jump. Categories a and b are labelled at the
    // jump; c's window opens 10 rows later, so c alone would pick a delay of 10.
    const toy: SeriesScorer<{ delay: number }> = (s, { delay }) => {
      const scores = new Float64Array(s.rowCount);
      const jump = Array.from(s.values).findIndex((v) => v > 60);
      if (jump >= 0 && jump + delay < s.rowCount) scores[jump + delay] = 1;
      return scores;
    };
    const labelled = corpus(20).map((s) => {
      const [[l, r]] = s.windows as [[number, number]];
      return s.key.startsWith('c/') ? { ...s, windows: [[l + 60, r + 60]] as const } : s;
    });
    const delays = [0, 70].map((delay) => ({ name: `delay ${delay}`, params: { delay } }));
    expect(
      chooseOnTrain(
        labelled.filter((s) => s.key.startsWith('c/')),
        delays,
        toy,
        STANDARD,
      ).candidate,
    ).toBe(1);
    const report = leaveOneCategoryOut(labelled, delays, toy, STANDARD);
    const c = report.folds.find((f) => f.category === 'c');
    expect(c?.candidate).toBe(0);
    expect(c?.heldOutScore).toBeLessThan(0);
    expect(report.worst).toBe(c?.heldOutScore);
    expect(report.mean).toBeGreaterThan(report.worst);
  });

  it('reports a category without windows by its false alarms and leaves it out of worst and mean', () => {
    const quiet: LabelledSeries = { ...series('d/quiet.csv', 1500, 1000, 25, 6), windows: [] };
    const report = leaveOneCategoryOut(
      [...corpus(20), quiet],
      candidates.slice(0, 1),
      memoised((s, p: DetectorOptions) => scoreSeries(s.values, s.timestamps, p)),
      STANDARD,
    );
    const d = report.folds.find((f) => f.category === 'd');
    expect(d?.windows).toBe(0);
    expect(Number.isNaN(d?.heldOutScore)).toBe(true);
    expect(d?.falseAlarms).toBeGreaterThan(0);
    const judged = report.folds.filter((f) => f.windows > 0).map((f) => f.heldOutScore);
    expect(report.worst).toBe(Math.min(...judged));
  });
});

describe('a series started later', () => {
  const full: LabelledSeries = {
    key: 'a/one.csv',
    rowCount: 10,
    values: Array.from({ length: 10 }, (_, i) => i * 10),
    timestamps: Array.from({ length: 10 }, (_, i) => i * FIVE_MIN),
    windows: [
      [1, 2],
      [4, 6],
      [8, 9],
    ],
  };

  it('when it starts within a window, then that window is cut to the first row and later ones move with it', () => {
    const later = startingAt(full, 5);
    expect(later.rowCount).toBe(5);
    expect(Array.from(later.values)).toEqual([50, 60, 70, 80, 90]);
    expect(Array.from(later.timestamps)).toEqual([5, 6, 7, 8, 9].map((i) => i * FIVE_MIN));
    expect(later.windows).toEqual([
      [0, 1],
      [3, 4],
    ]);
  });

  it('when a window ended before the start, then it is gone; a window ending on the first row stays', () => {
    expect(startingAt(full, 3).windows).toEqual([
      [1, 3],
      [5, 6],
    ]);
    expect(startingAt(full, 6).windows).toEqual([
      [0, 0],
      [2, 3],
    ]);
  });

  it('when it starts at row 0, then it is the same series; at or past its end, or at a fraction, it is an error', () => {
    const same = startingAt(full, 0);
    expect(Array.from(same.values)).toEqual(Array.from(full.values));
    expect(same.windows).toEqual(full.windows);
    expect(() => startingAt(full, 10)).toThrow('a/one.csv: cannot start at row 10 of 10');
    expect(() => startingAt(full, 2.5)).toThrow(RangeError);
    expect(() => startingAt(full, -1)).toThrow(RangeError);
  });
});
