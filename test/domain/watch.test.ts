import { describe, expect, it } from 'vitest';
import type { AnomalyFinding } from '../../src/domain/anomaly.js';
import type { Forecast } from '../../src/domain/forecast.js';
import { judgeWatch, parseWatchFile } from '../../src/domain/watch.js';

const FILE = `
watches:
  - name: DiskAlmostFull
    query: node_filesystem_used_ratio
    service: db
    threshold: { value: 0.9, direction: above }
`;

const forecast = (secondsToThreshold: number | undefined, probability: number): Forecast => ({
  trend: 'rising',
  slopePerSecond: 0.001,
  r2: 0.99,
  ...(secondsToThreshold !== undefined ? { secondsToThreshold } : {}),
  probability,
  summary: 'rising',
});
const finding = (score: number): AnomalyFinding => ({
  score,
  method: 'detector',
  robustZ: 3,
  current: 1,
  usualLow: 0,
  usualHigh: 1,
  baseline: 'recent',
  reason: 'x',
});

describe('parseWatchFile', () => {
  it('reads watches with their defaults in milliseconds and probabilities', () => {
    const [watch] = parseWatchFile('watch.yaml', FILE);
    expect(watch).toMatchObject({
      name: 'DiskAlmostFull',
      within: 1_800_000,
      window: 3_600_000,
      step: 15_000,
    });
    expect(watch?.probability).toBe(0.8);
    expect(watch?.anomalyScore).toBe(0.9);
  });

  it("leaves the service out when the file does: each series' own service label then names it", () => {
    const [watch] = parseWatchFile('watch.yaml', FILE.replace('    service: db\n', ''));
    expect(watch?.name).toBe('DiskAlmostFull');
    expect(watch?.service).toBeUndefined();
  });

  it('refuses unknown keys, bad names, bad durations and duplicates with the file and field', () => {
    expect(() => parseWatchFile('w.yaml', FILE.replace('service: db', 'service: db\n    sevice: x'))).toThrow(
      /w\.yaml: .*sevice/,
    );
    expect(() => parseWatchFile('w.yaml', FILE.replace('DiskAlmostFull', 'disk almost full'))).toThrow(
      /watches\.0\.name/,
    );
    expect(() => parseWatchFile('w.yaml', `${FILE}    within: soon\n`)).toThrow(
      /watches\.0\.within: a duration/,
    );
    const twice = `${FILE}${FILE.replace('watches:\n', '')}`;
    expect(() => parseWatchFile('w.yaml', twice)).toThrow(/DiskAlmostFull is defined twice/);
  });
});

describe('judgeWatch', () => {
  const [watch] = parseWatchFile('watch.yaml', FILE);
  if (!watch) throw new Error('no watch');

  it('warns when a crossing ahead is likely enough', () => {
    expect(judgeWatch(watch, forecast(600, 0.95), finding(0.1)).warn).toBe(true);
    expect(judgeWatch(watch, forecast(600, 0.5), finding(0.1)).warn).toBe(false);
  });

  it('leaves a threshold already crossed to the alert rule, but warns on a strong anomaly', () => {
    expect(judgeWatch(watch, forecast(0, 1), finding(0.1)).warn).toBe(false);
    expect(judgeWatch(watch, forecast(undefined, 0), finding(0.95)).warn).toBe(true);
  });

  it('scores with the higher signal and gives both reasons', () => {
    const verdict = judgeWatch(watch, forecast(600, 0.95), finding(0.4));
    expect(verdict.score).toBe(0.95);
    expect(verdict.reason).toBe('forecast: rising; anomaly score 0.4: x');
    expect(judgeWatch(watch, undefined, undefined)).toEqual({
      warn: false,
      score: 0,
      reason: 'no forecast; no anomaly score',
    });
  });
});
