import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runForecastBenchmark, type BenchmarkSeries } from '../../src/forecasting/index.js';
import { parseSeriesCsv, seriesColumn } from '../../src/nab/corpus.js';
import { NAB_DIR } from '../support/nab.js';

const DATA = join(NAB_DIR, 'data');
const FILES = [
  'realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv',
  'realKnownCause/nyc_taxi.csv',
  'artificialWithAnomaly/art_daily_jumpsup.csv',
];

async function load(key: string): Promise<BenchmarkSeries> {
  const parsed = parseSeriesCsv(await readFile(join(DATA, key), 'utf8'), key);
  return { key, timestamps: parsed.timestamps, values: seriesColumn(parsed, 'value', key) };
}

describe('runForecastBenchmark', () => {
  it('on three NAB series, reports finite positive MASE per method in the JSON shape the benchmark prints', async () => {
    const series = await Promise.all(FILES.map(load));
    const { report, evaluations } = runForecastBenchmark(series, { horizon: 10 });
    const json: unknown = JSON.parse(JSON.stringify(report));
    expect(json).toMatchObject({
      horizon: 10,
      series: 3,
      best: expect.any(String) as unknown,
      best_median_mase: expect.any(Number) as unknown,
      linear_median_mase: expect.any(Number) as unknown,
      points_per_second: expect.any(Number) as unknown,
    });
    const methods = Object.keys(report.median_mase);
    expect(methods).toEqual(expect.arrayContaining(['naive', 'linear', 'ses', 'damped', 'ensemble']));
    for (const name of methods) {
      const value = report.median_mase[name] ?? Number.NaN;
      expect(Number.isFinite(value), name).toBe(true);
      expect(value, name).toBeGreaterThan(0);
    }
    expect(report.median_mase['naive']).toBe(1);
    expect(report.best_median_mase).toBe(report.median_mase[report.best]);
    expect(report.linear_median_mase).toBe(report.median_mase['linear']);
    for (const e of evaluations) {
      expect(e.points).toBeGreaterThan(1000);
      for (const [name, r] of Object.entries(e.methods)) {
        expect(Number.isFinite(r.mase) && r.mase > 0, `${e.name} ${name}`).toBe(true);
      }
    }
    // The same three series, at a coarser stride: the rows scored shrink, the shape holds.
    const strided = runForecastBenchmark(series, { horizon: 10, stride: 4 }).report;
    expect(strided.points).toBeLessThan(report.points / 3);
    expect(Object.keys(strided.median_mase)).toEqual(methods);
  });
});
