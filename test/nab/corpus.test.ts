import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadCorpus,
  loadDetectorResults,
  loadProfiles,
  parseSeriesCsv,
  parseTimestamp,
  windowsToRows,
} from '../../src/nab/corpus.js';

describe('parseTimestamp', () => {
  it('reads NAB timestamps as UTC epoch ms, with or without fractional seconds', () => {
    expect(parseTimestamp('2014-07-01 00:30:00')).toBe(Date.UTC(2014, 6, 1, 0, 30));
    expect(parseTimestamp('2014-07-01 00:30:00.000000')).toBe(Date.UTC(2014, 6, 1, 0, 30));
    expect(parseTimestamp('2014-07-01T00:30:00.250')).toBe(Date.UTC(2014, 6, 1, 0, 30) + 250);
    expect(() => parseTimestamp('01/07/2014')).toThrow(/unparseable/);
  });
});

describe('parseSeriesCsv', () => {
  it('handles CRLF, blank lines and a missing final newline', () => {
    const s = parseSeriesCsv('timestamp,value\r\n2014-01-01 00:00:00,1.5\r\n\r\n2014-01-01 00:05:00,-2');
    expect(s.columns).toEqual(['value']);
    expect(Array.from(s.timestamps)).toEqual([Date.UTC(2014, 0, 1), Date.UTC(2014, 0, 1, 0, 5)]);
    expect(Array.from(s.data[0] ?? [])).toEqual([1.5, -2]);
  });
});

describe('windowsToRows', () => {
  const ts = [0, 10, 20, 30, 40, 50, 60];
  it('maps start to the first row >= start and end to the last row <= end', () => {
    expect(windowsToRows(ts, [[10, 30]])).toEqual([[1, 3]]);
    expect(windowsToRows(ts, [[5, 35]])).toEqual([[1, 3]]);
    expect(
      windowsToRows(ts, [
        [-100, 0],
        [41, 1000],
      ]),
    ).toEqual([
      [0, 0],
      [5, 6],
    ]);
  });
  it('sorts windows and rejects empty or overlapping ones', () => {
    expect(
      windowsToRows(ts, [
        [40, 50],
        [0, 10],
      ]),
    ).toEqual([
      [0, 1],
      [4, 5],
    ]);
    expect(() => windowsToRows(ts, [[11, 19]], 'f')).toThrow(/f: window 0 holds no row/);
    expect(() =>
      windowsToRows(ts, [
        [0, 30],
        [25, 50],
      ]),
    ).toThrow(/overlap/);
  });
});

describe('loading a folder of the NAB layout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nab-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rows = (n: number, v: (i: number) => number): string =>
    [
      'timestamp,value',
      ...Array.from({ length: n }, (_, i) => `2020-01-01 00:${String(i).padStart(2, '0')}:00,${v(i)}`),
    ].join('\n');
  mkdirSync(join(dir, 'cat'));
  writeFileSync(
    join(dir, 'cat', 'a.csv'),
    rows(20, (i) => i),
  );
  writeFileSync(join(dir, 'cat', 'b.csv'), rows(10, () => 7) + '\n');
  writeFileSync(
    join(dir, 'combined_windows.json'),
    JSON.stringify({
      'cat/a.csv': [['2020-01-01 00:05:00.000000', '2020-01-01 00:08:30.000000']],
      'cat/b.csv': [],
      'other/unused.csv': [],
    }),
  );
  writeFileSync(
    join(dir, 'profiles.json'),
    JSON.stringify({ p: { CostMatrix: { tpWeight: 1, fpWeight: 0.5, fnWeight: 2, tnWeight: 1 } } }),
  );
  mkdirSync(join(dir, 'results', 'det', 'cat'), { recursive: true });
  writeFileSync(
    join(dir, 'results', 'det', 'cat', 'det_b.csv'),
    'timestamp,value,anomaly_score,label\n2020-01-01 00:00:00,7,0.25,0\n',
  );

  it('loads series, windows as row ranges and profiles (category folders directly in the folder)', async () => {
    const corpus = await loadCorpus(dir);
    expect(corpus.map((f) => f.key)).toEqual(['cat/a.csv', 'cat/b.csv']);
    const [a, b] = corpus;
    expect(a?.timestamps.length).toBe(20);
    expect(a?.rowCount).toBe(20);
    expect(a?.values[19]).toBe(19);
    expect(a?.windows).toEqual([[5, 8]]);
    expect(b?.windows).toEqual([]);
    expect(b?.values.length).toBe(10);
    expect(await loadProfiles(dir)).toEqual([{ name: 'p', tpWeight: 1, fpWeight: 0.5, fnWeight: 2 }]);
  });

  it('loads detector results by corpus key', async () => {
    const results = await loadDetectorResults(join(dir, 'results'), 'det');
    expect([...results.keys()]).toEqual(['cat/b.csv']);
    expect(Array.from(results.get('cat/b.csv')?.scores ?? [])).toEqual([0.25]);
  });

  it('fails loudly for a series missing from combined_windows.json', async () => {
    writeFileSync(
      join(dir, 'cat', 'c.csv'),
      rows(3, () => 1),
    );
    await expect(loadCorpus(dir)).rejects.toThrow(/cat\/c\.csv: not in combined_windows\.json/);
    rmSync(join(dir, 'cat', 'c.csv'));
  });
});
