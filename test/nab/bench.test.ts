import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** A small corpus in NAB's layout, made here: any folder of this shape must work. */
function makeCorpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-nab-'));
  mkdirSync(join(dir, 'data', 'made'), { recursive: true });
  mkdirSync(join(dir, 'data', 'other'), { recursive: true });
  const start = Date.UTC(2026, 0, 1);
  const stamp = (i: number): string =>
    new Date(start + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);
  const windows: Record<string, [string, string][]> = {};
  for (const [name, spikeAt] of [
    ['made/one.csv', 1500],
    ['other/two.csv', 1800],
  ] as const) {
    const rows = Array.from({ length: 2000 }, (_, i) => `${stamp(i)},${i === spikeAt ? 500 : 50 + (i % 7)}`);
    writeFileSync(join(dir, 'data', name), `timestamp,value\n${rows.join('\n')}\n`);
    windows[name] = [[`${stamp(spikeAt - 20)}.000000`, `${stamp(spikeAt + 20)}.000000`]];
  }
  writeFileSync(join(dir, 'combined_windows.json'), JSON.stringify(windows));
  const cost = (fp: number, fn: number) => ({
    CostMatrix: { tpWeight: 1, fnWeight: fn, fpWeight: fp, tnWeight: 1 },
  });
  writeFileSync(
    join(dir, 'profiles.json'),
    JSON.stringify({
      standard: cost(0.11, 1),
      reward_low_FP_rate: cost(0.22, 1),
      reward_low_FN_rate: cost(0.11, 2),
    }),
  );
  return dir;
}

describe('npm run bench:nab', () => {
  it('scores any corpus of the NAB layout, ends with one JSON line, writes per-row scores with --out, holds categories out with --holdout', () => {
    const corpus = makeCorpus();
    const out = join(corpus, 'out');
    const stdout = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'bench/nab.ts', '--corpus', corpus, '--out', out, '--holdout'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    const last = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(last).toMatchObject({ series: 2, points: 4000 });
    for (const profile of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']) {
      expect(typeof last[profile]).toBe('number');
    }
    // Two obvious spikes in quiet series: a useful detector finds both without false alarms.
    expect(last['standard']).toBeGreaterThan(90);
    expect(last['points_per_second']).toEqual(expect.any(Number));
    // Each category scored at the threshold its neighbour chose: the same obvious spike, found.
    const holdout = last['holdout'] as Record<string, { worst: number; categories: Record<string, unknown> }>;
    expect(Object.keys(holdout['standard']?.categories ?? {})).toEqual(['made', 'other']);
    expect(holdout['standard']?.worst).toBeGreaterThan(90);
    // The JSON line carries what the printed table does: windows found and false alarms per category.
    for (const category of ['made', 'other']) {
      expect(holdout['standard']?.categories[category]).toMatchObject({ windows_found: 1, false_alarms: 0 });
    }
    const written = readFileSync(join(out, 'made', 'one.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(written[0]).toBe('timestamp,anomaly_score');
    expect(written).toHaveLength(2001);
    expect(written[1]).toMatch(/^2026-01-01 00:00:00,0(\.\d+)?$/);
  });

  it('with --units, scores the corpus again in other units at the threshold the corpus as given chose', () => {
    const stdout = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'bench/nab.ts', '--corpus', makeCorpus(), '--units'],
      { cwd: root, encoding: 'utf8' },
    );
    const last = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      standard: number;
      units: { change: string; score: number; windows_found: number; false_alarms: number }[];
    };
    expect(last.units.map((u) => u.change)).toEqual([
      'as given',
      'x 1000',
      '/ 1000',
      '+ 273.15',
      '+ 10000',
      'negated',
    ]);
    // Unchanged values at the standard profile's own threshold: the standard score itself.
    expect(last.units[0]).toMatchObject({ score: last.standard, windows_found: 2, false_alarms: 0 });
    for (const unit of last.units) {
      expect(unit.windows_found).toBeGreaterThanOrEqual(0);
      expect(unit.windows_found).toBeLessThanOrEqual(2);
      expect(Number.isInteger(unit.false_alarms)).toBe(true);
    }
    expect(stdout).toContain('the same series in other units');
  });

  it('with --starts, holds categories out again with each series started later, and refuses a start it cannot make', () => {
    const corpus = makeCorpus();
    const run = (starts: string) =>
      execFileSync(
        process.execPath,
        ['--import', 'tsx', 'bench/nab.ts', '--corpus', corpus, '--starts', starts],
        {
          cwd: root,
          encoding: 'utf8',
          stdio: 'pipe',
        },
      );
    const stdout = run('0,100,1600');
    const last = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      starts: {
        rows: number[];
        standard: Record<'worst' | 'pooled', { each: (number | null)[]; lowest: number }>;
      };
    };
    expect(last.starts.rows).toEqual([0, 100, 1600]);
    const worst = last.starts.standard.worst.each;
    expect(worst.slice(0, 2).every((w) => w !== null && w > 90)).toBe(true);
    // From row 1,600 the first series' window (rows 1,480 to 1,520) is gone: its category has none to
    // score, and as the other's only training category it can choose no threshold that finds anything.
    expect(worst[2]).toBe(0);
    expect(last.starts.standard.pooled.each).toHaveLength(3);
    expect(stdout).toMatch(/^1600 .* n\/a/m);
    for (const [starts, error] of [
      ['10,ten', '"ten" is not one'],
      ['10,-5', '"-5" is not one'],
      ['2000', '--starts 2000: the shortest series has 2000 rows'],
    ]) {
      expect(() => run(starts ?? '')).toThrow(error);
    }
  });
});
