import { describe, expect, it } from 'vitest';
import {
  ALARM_THRESHOLD,
  calibrated,
  DEFAULT_DETECTOR_OPTIONS,
  logScale,
  OnlineDetector,
  scoreSeries,
  STEP_MS,
} from '../../src/detection/detector.js';
import { normalCdf } from '../../src/domain/series.js';
import { CoarseNovelty } from '../../src/detection/coarse-novelty.js';
import { ContextNovelty } from '../../src/detection/context.js';
import { looksLikeCounts, stabiliseCount } from '../../src/detection/count-scale.js';
import { SeasonalZ } from '../../src/detection/seasonal-z.js';
import { EmpiricalTail } from '../../src/detection/tail.js';
import { TrackRecord } from '../../src/detection/track-record.js';
import { BeyondRange } from '../../src/detection/extreme.js';
import { AnomalyLikelihood } from '../../src/detection/likelihood.js';

const FIVE_MIN = 300_000;
/** A daily rhythm sampled every 5 minutes with deterministic jitter. */
function daily(days: number): { values: number[]; times: number[] } {
  const n = days * 288;
  const times = Array.from({ length: n }, (_, i) => i * FIVE_MIN);
  const values = times.map(
    (t, i) => 50 + 20 * Math.sin((2 * Math.PI * t) / 86_400_000) + ((i * 7919) % 13) / 13,
  );
  return { values, times };
}

describe('the online detector', () => {
  it('scores every point in [0, 1]', () => {
    const { values, times } = daily(4);
    const scores = scoreSeries(values, times);
    expect(scores).toHaveLength(values.length);
    for (const s of scores) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('uses only the past: changing later values never changes earlier scores', () => {
    const { values, times } = daily(3);
    const before = scoreSeries(values, times);
    const changed = [...values];
    for (let i = 600; i < changed.length; i++) changed[i] = (changed[i] ?? 0) * 3 + 1000;
    const after = scoreSeries(changed, times);
    expect(Array.from(after.subarray(0, 600))).toEqual(Array.from(before.subarray(0, 600)));
    expect(Array.from(after.subarray(600))).not.toEqual(Array.from(before.subarray(600)));
  });

  it('stays quiet on a steady daily rhythm and flags a spike far outside it', () => {
    const { values, times } = daily(6);
    const spikeAt = 5 * 288 + 100;
    values[spikeAt] = 400;
    const scores = scoreSeries(values, times);
    const quiet = Array.from(scores.subarray(3 * 288, spikeAt));
    expect(Math.max(...quiet)).toBeLessThan(0.2);
    expect(scores[spikeAt]).toBeGreaterThan(0.5);
  });

  it('alarms once for an event: silent for refractorySteps after an alarm, then free to alarm again', () => {
    const run = (refractorySteps: number): number[] => {
      const detector = new OnlineDetector({ ...DEFAULT_DETECTOR_OPTIONS, refractorySteps });
      const steady = (rows: number): void => {
        for (let i = 0; i < rows; i++) detector.update(10 + (i % 5) / 10);
      };
      steady(2000);
      const first = calibrated(detector.update(11));
      steady(9);
      // Far beyond the first, ten rows on: a rising event, which would alarm again without the pause.
      const second = calibrated(detector.update(100));
      steady(29);
      const third = calibrated(detector.update(100_000));
      return [first, second, third];
    };
    const [first, second, third] = run(DEFAULT_DETECTOR_OPTIONS.refractorySteps);
    expect(first).toBeGreaterThan(0.5);
    expect(second).toBe(0);
    expect(third).toBeGreaterThan(0.5);
    expect(run(0)[1]).toBeGreaterThan(0.5);
  });

  it("counts an alarm's aftermath in time when timestamps are given: hourly and 5-minute series alike", () => {
    const hour = 3_600_000;
    // A spike and a second one `gapRows` later in a steady series, `step` ms apart per row (none: no
    // timestamps); the second as high as the first unless said.
    const run = (step: number | undefined, gapRows: number, second = 40): [number, number] => {
      const detector = new OnlineDetector();
      let row = 0;
      const next = (value: number): number =>
        calibrated(detector.update(value, step === undefined ? undefined : row++ * step));
      const steady = (rows: number): void => {
        for (let i = 0; i < rows; i++) next(10 + (i % 5) / 10);
      };
      steady(2000);
      const first = next(40);
      steady(gapRows - 1);
      return [first, next(second)];
    };
    // Ten days apart: 240 hourly rows. Counted in rows the first spike's bar still stood (0.999 ** 240),
    // so the second scored nothing; in time it has faded as it does after 2,880 five-minute rows. The
    // second is lower than the first (15, not 40), beyond the range the first taught (learnReach) but not
    // so far that it outgrows the bar on its own.
    const [hourlyFirst, hourlySecond] = run(hour, 240, 15);
    expect(hourlyFirst).toBeGreaterThan(0.5);
    expect(hourlySecond).toBeGreaterThan(0.5);
    expect(run(undefined, 240, 15)[1]).toBe(0);
    expect(run(STEP_MS, 2880, 15)[1]).toBeGreaterThan(0.5);
    // The pause after an alarm is two and a half hours: five hourly rows later a far larger spike alarms,
    // five 5-minute rows later it is still silenced.
    expect(run(hour, 5, 4000)[1]).toBeGreaterThan(0.5);
    expect(run(STEP_MS, 5, 4000)[1]).toBe(0);
    expect(run(STEP_MS, 31, 4000)[1]).toBeGreaterThan(0.5);
  });

  it('scores a value whose timestamp is not a finite number by its row, and keeps alarming after it', () => {
    const detector = new OnlineDetector();
    let i = 0;
    for (; i < 300; i++) detector.update(10 + (i % 3), i * STEP_MS);
    expect(calibrated(detector.update(1000, Number.NaN))).toBeGreaterThan(0.5);
    // Past the pause, a spike far beyond the first still alarms: the bad timestamp poisoned no state.
    for (; i < 340; i++) detector.update(10 + (i % 3), i * STEP_MS);
    expect(calibrated(detector.update(1_000_000, i * STEP_MS))).toBeGreaterThan(0.5);
  });

  it('ignores values that are not finite and keeps going', () => {
    const detector = new OnlineDetector();
    for (let i = 0; i < 300; i++) detector.update(10 + (i % 3));
    expect(detector.update(Number.NaN)).toBe(0);
    expect(detector.update(Number.POSITIVE_INFINITY)).toBe(0);
    // 11 after 12 breaks the 10, 11, 12 rhythm (a context never seen): noticed, but no alarm.
    expect(calibrated(detector.update(11))).toBeLessThan(0.5);
  });

  it('judges a value against its hour: usual at noon, unusual at midnight', () => {
    const z = new SeasonalZ(0.05, 2);
    const hour = 3_600_000;
    for (let day = 0; day < 30; day++) {
      z.update(100 + (day % 3), day * 24 * hour + 12 * hour);
      z.update(10 + (day % 3), day * 24 * hour);
    }
    expect(z.update(101, 30 * 24 * hour + 12 * hour)).toBeLessThan(1);
    expect(z.update(101, 31 * 24 * hour)).toBeGreaterThan(10);
  });

  it('gives an hour a say after the same number of days whatever the spacing', () => {
    const hour = 3_600_000;
    for (const step of [hour, 5 * 60_000]) {
      const z = new SeasonalZ(0.05, 2);
      const said: number[] = [];
      for (let t = 0; t < 4 * 24 * hour; t += step) if (z.update(10 + (t % 7), t) !== undefined) said.push(t);
      // The first hour of day 2 (two earlier days seen) is the first to speak, at either spacing.
      expect(said[0]).toBe(2 * 24 * hour);
    }
  });

  it('over a week: a quiet Saturday is usual for a Saturday, the same value on a Wednesday is not', () => {
    const hour = 3_600_000;
    const day = 24 * hour;
    const monday = Date.UTC(2025, 0, 6);
    const z = new SeasonalZ(0.05, 2, 24 * 7);
    for (let week = 0; week < 6; week++) {
      for (let h = 0; h < 24 * 7; h++) {
        const weekend = h >= 5 * 24;
        z.update((weekend ? 40 : 100) + (h % 3), monday + week * 7 * day + h * hour);
      }
    }
    const next = monday + 6 * 7 * day;
    expect(z.update(40, next + 5 * day + 12 * hour)).toBeLessThan(1);
    expect(z.update(40, next + 2 * day + 12 * hour)).toBeGreaterThan(10);
  });

  it('maps likelihoods to a readable scale and computes the normal CDF', () => {
    expect(logScale(0.9)).toBeCloseTo(0.1, 6);
    expect(logScale(0.99999)).toBeCloseTo(0.5, 4);
    expect(logScale(1)).toBe(1);
    expect(logScale(0.5)).toBeLessThan(0.04);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-3)).toBeCloseTo(0.0013499, 6);
  });
});

describe('counts', () => {
  it('are recognised as whole numbers, none negative, not all equal', () => {
    expect(looksLikeCounts([0, 0, 3, 1, 0])).toBe(true);
    expect(looksLikeCounts([0.5, 1, 2])).toBe(false);
    expect(looksLikeCounts([1, -1, 2])).toBe(false);
    expect(looksLikeCounts([4, 4, 4])).toBe(false);
  });

  it('are read on a square-root scale that keeps 0 and the order of values', () => {
    expect(stabiliseCount(0)).toBe(0);
    const xs = [-9, -1, 0, 1, 2, 10, 100, 10_000];
    const ys = xs.map(stabiliseCount);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    // Equal steps in spread: 100 -> 120 moves as far as 4 -> 8 or so, not five times as far.
    expect(stabiliseCount(120) - stabiliseCount(100)).toBeLessThan(
      1.2 * (stabiliseCount(8) - stabiliseCount(4)),
    );
  });

  it('stay quiet on routine ones and twos in a mostly-zero series and alarm on a burst', () => {
    const detector = new OnlineDetector();
    // Deterministic sparse counts: mostly 0, now and then 1 or 2.
    const count = (i: number): number => [0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 1][(i * 7) % 12] ?? 0;
    const quiet = Array.from({ length: 3000 }, (_, i) => calibrated(detector.update(count(i))));
    expect(Math.max(...quiet.slice(500))).toBeLessThan(0.5);
    const burst = [9, 14, 12].map((v) => calibrated(detector.update(v)));
    expect(Math.max(...burst)).toBeGreaterThan(0.5);
  });

  it('score nothing during the warm-up, then read it on the scale it decided', () => {
    const detector = new OnlineDetector();
    const warm = Array.from({ length: DEFAULT_DETECTOR_OPTIONS.warmupRows - 1 }, (_, i) =>
      detector.update(i % 3),
    );
    expect(warm.every((s) => s === 0)).toBe(true);
    expect(detector.update(1)).toBe(0);
    for (let i = 0; i < 2000; i++) detector.update(i % 3);
    expect(calibrated(detector.update(40))).toBeGreaterThan(0.5);
  });
});

describe('calibrated scores', () => {
  it('puts the alarm threshold at one half and keeps the order of scores', () => {
    expect(calibrated(ALARM_THRESHOLD)).toBeCloseTo(0.5, 12);
    expect(calibrated(0)).toBe(0);
    expect(calibrated(1)).toBeCloseTo(1, 12);
    const xs = [0, 0.05, 0.1, 0.18, 0.19, 0.5, 0.9, 1];
    const ys = xs.map(calibrated);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
  });
});

describe('anomaly likelihood', () => {
  it('finds a raw signal of its usual height ordinary just past the warm-up (no bias towards 0)', () => {
    // A steady raw signal of 0.3: its long-run mean is 0.3 from the start, so 0.3 is the middle of its
    // distribution. With only the long weight (0.002) the mean would still read ~0.08 after 150 rows,
    // and 0.3 would look like a likelihood near 0.86.
    const likelihood = new AnomalyLikelihood(5, 0.002, 150, 0.2);
    let last = 0;
    for (let i = 0; i < 151; i++) last = likelihood.update(0.3);
    expect(last).toBeCloseTo(0.5, 6);
    // A rise well above it is still unlikely.
    for (let i = 0; i < 5; i++) last = likelihood.update(1);
    expect(last).toBeGreaterThan(0.99);
  });
});

describe('empirical tails', () => {
  it('gives a first-ever extreme 1/(n + 1) and a routine value a large tail', () => {
    const tail = new EmpiricalTail(128);
    for (let i = 0; i < 99; i++) tail.update((i % 10) / 100);
    expect(tail.update(0.9)).toBeCloseTo(1 / 100, 12);
    expect(tail.update(0.9)).toBeCloseTo(2 / 101, 12);
    expect(tail.update(0)).toBe(1);
  });

  it('past maxRows counts a rank: a record scores the same however long the history, and ten highs do not', () => {
    const capped = new EmpiricalTail(128, 1000);
    const plain = new EmpiricalTail(128);
    for (let i = 0; i < 5000; i++) {
      capped.update((i % 10) / 100);
      plain.update((i % 10) / 100);
    }
    // A share would say 1/5001; a rank over at most 1000 rows says 1/1001.
    expect(capped.update(0.9)).toBeCloseTo(1 / 1001, 12);
    expect(plain.update(0.9)).toBeCloseTo(1 / 5001, 12);
    // Ten earlier values as high: a share of them in 5000 rows looks rare, a rank among 1000 does not.
    for (let i = 0; i < 9; i++) capped.update(0.9);
    expect(capped.update(0.9)).toBeCloseTo(11 / 1001, 12);
    // Below maxRows nothing changes.
    const short = new EmpiricalTail(128, 1000);
    for (let i = 0; i < 99; i++) short.update((i % 10) / 100);
    expect(short.update(0.9)).toBeCloseTo(1 / 100, 12);
  });

  it('makes a rise in a signal that was always quiet alarm at once', () => {
    const detector = new OnlineDetector();
    for (let i = 0; i < 2000; i++) expect(calibrated(detector.update(10 + (i % 5) / 10))).toBeLessThan(0.5);
    expect(calibrated(detector.update(12))).toBeGreaterThan(0.5);
  });
});

describe('the seen range', () => {
  /** A range of 20..100 learned over a warm-up of 10 rows. */
  function warmed(): BeyondRange {
    const beyond = new BeyondRange(10);
    for (let i = 0; i < 10; i++) beyond.update(i % 2 === 0 ? 20 : 100);
    return beyond;
  }

  it('puts zero infinitely far beyond a series that has only been positive, other values in range units', () => {
    expect(warmed().update(60)).toBe(0);
    // 2 lies 18/80 of the range below 20, 500 five ranges above 100.
    expect(warmed().update(2)).toBeCloseTo(18 / 80, 9);
    expect(warmed().update(500)).toBeCloseTo(5, 9);
    expect(warmed().update(0)).toBe(Number.POSITIVE_INFINITY);
    expect(warmed().update(-3)).toBe(Number.POSITIVE_INFINITY);
  });

  it('judges zero by the range once the series has reached it, and never during the warm-up', () => {
    const beyond = warmed();
    beyond.update(0);
    expect(beyond.update(0)).toBe(0);
    expect(beyond.update(-10)).toBeCloseTo(10 / 100, 9);
    const early = new BeyondRange(10);
    early.update(20);
    expect(early.update(0)).toBe(0);
  });

  it('makes the detector alarm on an outage of a series that never reached zero', () => {
    const { values, times } = daily(4);
    values[900] = 0;
    const scores = scoreSeries(values, times);
    expect(scores[900]).toBe(1);
  });

  it("once a series' daily rhythm is detected, alarms on a value usual for the day but not for its hour", () => {
    const { values, times } = daily(8);
    // 18:00 on day 6 is the daily low (about 30); 70, the daily high, lies inside the range seen.
    const wrongHour = 6 * 288 + 216;
    values[wrongHour] = 70;
    expect(scoreSeries(values, times)[wrongHour]).toBeGreaterThanOrEqual(ALARM_THRESHOLD);
    // Without timestamps nothing tells the detector the hour: the same value is ordinary.
    expect(scoreSeries(values)[wrongHour]).toBeLessThan(ALARM_THRESHOLD);
  });

  describe('a record judged by how often the series has overshot its range', () => {
    /** 3,000 rows of noise between 140 and 160, with a routine dip to about 110 every 47 rows. */
    function noisy(): number[] {
      let state = 7;
      const random = (): number => (state = (state * 1_664_525 + 1_013_904_223) >>> 0) / 2 ** 32;
      return Array.from({ length: 3000 }, (_, i) =>
        i % 47 === 0 ? 110 + 5 * random() : 140 + 20 * random(),
      );
    }
    /** Puts a record at row `i`, `ranges` of the range seen so far past its top (or bottom). */
    function record(values: number[], i: number, ranges: number, below = false): void {
      const past = values.slice(0, i);
      const [max, min] = [Math.max(...past), Math.min(...past)];
      values[i] = below ? min - ranges * (max - min) : max + ranges * (max - min);
    }
    const at = 2500;

    it('alarms on the first record a fifth of the range up in thousands of rows, which its distance alone does not', () => {
      const values = noisy();
      record(values, at, 0.2);
      // The routine dips have a larger z than this record, so the z tail does not see it either.
      const byDistance = {
        ...DEFAULT_DETECTOR_OPTIONS,
        beyond: { ...DEFAULT_DETECTOR_OPTIONS.beyond, tailFrom: Infinity },
      };
      expect(scoreSeries(values, undefined, byDistance)[at]).toBeLessThan(ALARM_THRESHOLD);
      expect(scoreSeries(values)[at]).toBeGreaterThanOrEqual(ALARM_THRESHOLD);
    });

    it('does not alarm on the same record in a series that has often gone that far past its range', () => {
      const values = noisy();
      for (const i of [700, 1000, 1300, 1600, 1900, 2200]) record(values, i, 0.2, true);
      record(values, at, 0.2);
      expect(scoreSeries(values)[at]).toBeLessThan(ALARM_THRESHOLD);
    });

    it('does not ask it of a record under a tenth of the range, as records of noise mostly are', () => {
      const values = noisy();
      record(values, at, 0.05);
      expect(scoreSeries(values)[at]).toBeLessThan(ALARM_THRESHOLD);
    });
  });

  it('learns a value at most learnReach ranges past the seen range, and scores it as it is', () => {
    const beyond = warmed();
    // The range is 20..100: two ranges reach from -140 to 260.
    expect(beyond.learnable(60, 2)).toBe(60);
    expect(beyond.learnable(1.8e19, 2)).toBe(260);
    expect(beyond.learnable(-1.8e19, 2)).toBe(-140);
    expect(beyond.update(1.8e19, beyond.learnable(1.8e19, 2))).toBeCloseTo(1.8e19 / 80, -5);
    // The range grew to 20..260, not to 1.8e19: 500 is one range above it.
    expect(beyond.update(500)).toBeCloseTo(1, 9);
    // Zero is always within reach of a series that has only been positive, and nothing below it is.
    expect(warmed().learnable(0, 0.01)).toBe(0);
    expect(warmed().learnable(-1.8e19, 0.01)).toBe(0);
    const early = new BeyondRange(10);
    expect(early.learnable(1.8e19, 2)).toBe(1.8e19);
  });

  it('is not blinded by one absurd value: a spike days later still alarms', () => {
    const unbounded = {
      ...DEFAULT_DETECTOR_OPTIONS,
      beyond: { ...DEFAULT_DETECTOR_OPTIONS.beyond, learnReach: Number.POSITIVE_INFINITY },
    };
    for (const glitch of [1.8e19, -1.8e19]) {
      const { values, times } = daily(12);
      values[4 * 288 + 50] = glitch; // an exporter's "unlimited", read as a value
      const spike = 10 * 288 + 100;
      values[spike] = 150;
      expect(scoreSeries(values, times)[4 * 288 + 50]).toBe(1);
      expect(scoreSeries(values, times)[spike]).toBeGreaterThanOrEqual(ALARM_THRESHOLD);
      // Learned whole, it stretched the range and the spreads so far that the spike was nothing.
      expect(scoreSeries(values, times, unbounded)[spike]).toBeLessThan(ALARM_THRESHOLD);
    }
  });

  it('leaves no echo bar after that first zero: a later spike still alarms', () => {
    const { values, times } = daily(4);
    values[900] = 0;
    values[1000] = 400;
    const scores = scoreSeries(values, times);
    expect(scores[900]).toBe(1);
    expect(scores[1000]).toBeGreaterThanOrEqual(ALARM_THRESHOLD);
  });
});

describe('coarse novelty', () => {
  // A binary de Bruijn sequence: every run of five bits occurs in it once (cyclically), so repeating it
  // makes every short context of rows familiar; any other bit pattern is then new only in its proportions.
  const deBruijn = '00000100011001010011101011011111'.split('').map(Number);
  const before = Array.from({ length: 3008 }, (_, i) => deBruijn[i % 32] ?? 0);
  // Four ones in five rows where there were one in two: no new short context, a new block mean.
  const after = Array.from({ length: 400 }, (_, i) => (i % 5 === 4 ? 0 : 1));
  const context = { calibrationRows: 150, levels: 16, lengths: [1, 2, 3, 5] };

  it('sees a change spread over many rows that no short context of rows shows', () => {
    const fine = new ContextNovelty(context);
    const coarse = new CoarseNovelty(16, context);
    for (const v of before) {
      fine.update(v);
      coarse.update(v);
    }
    expect(after.map((v) => fine.update(v)).filter((n) => n > 0)).toEqual([]);
    expect(Math.max(...after.map((v) => coarse.update(v)))).toBe(1);
  });

  it('answers only when a block completes', () => {
    const coarse = new CoarseNovelty(4, { calibrationRows: 8, levels: 4 });
    const out = [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 9, 9, 9, 9].map((v) => coarse.update(v));
    expect(out.slice(12)).toEqual([0, 0, 0, 1]);
  });

  it('counts a block mean at a new level as new, not a new order of levels already seen', () => {
    // Blocks of 4 rows at levels 0, 10 and 20, always rising; then the same levels falling, then 40.
    const coarse = new CoarseNovelty(4, { calibrationRows: 48, levels: 4 });
    const blocks = (levels: number[]): number[] => levels.flatMap((level) => [level, level, level, level]);
    const answers = (values: number[]): number[] =>
      values.map((v) => coarse.update(v)).filter((_, i) => i % 4 === 3);
    answers(blocks([0, 10, 20, 0, 10, 20, 0, 10, 20, 0, 10, 20]));
    expect(answers(blocks([20, 10, 0, 20, 10, 0]))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(answers(blocks([40]))).toEqual([1]);
  });

  it('makes the detector alarm on a change of proportions that the finest grain misses', () => {
    const detector = new OnlineDetector();
    const quiet = before.map((v) => calibrated(detector.update(v)));
    expect(Math.max(...quiet.slice(1000))).toBeLessThan(0.5);
    expect(Math.max(...after.map((v) => calibrated(detector.update(v))))).toBeGreaterThan(0.5);
    const fineOnly = new OnlineDetector({ ...DEFAULT_DETECTOR_OPTIONS, coarseScales: [] });
    for (const v of before) fineOnly.update(v);
    expect(Math.max(...after.map((v) => calibrated(fineOnly.update(v))))).toBeLessThan(0.5);
  });
});

describe('the track record of the baselines', () => {
  it('detects a seasonal baseline once its error is at most √½ of the level’s, and picks the best one', () => {
    const record = new TrackRecord(3);
    expect(record.best()).toBeUndefined();
    for (let i = 0; i < 10; i++) record.note(0, 10);
    record.note(1, 7.5);
    expect(record.best()).toBeUndefined();
    record.note(1, 6);
    expect(record.best()).toBe(1); // mean 6.75 ≤ 7.07
    record.note(2, 5);
    expect(record.best()).toBe(2);
    record.note(2, Number.NaN); // no prediction: nothing noted
    expect(record.best()).toBe(2);
  });
});
