import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { clusterIncidents, clusterLabels, DEFAULT_OPTIONS } from '../../src/clusters/cluster.js';
import { ClusteredAlerts } from '../../src/clusters/counted.js';
import { dbscan } from '../../src/clusters/dbscan.js';
import { DEFAULT_WEIGHTS, distance, normalised } from '../../src/clusters/distance.js';
import { agreement, withSingletons } from '../../src/clusters/evaluate.js';
import { featuresOf, LIMITS, tokenize, type ClusterSubject } from '../../src/clusters/features.js';
import { DEFAULT_STREAM, syntheticStream } from '../../src/clusters/synthetic.js';

const at = (minutes: number): string => new Date(Date.UTC(2026, 10, 30, 8) + minutes * 60_000).toISOString();

function incident(
  id: string,
  minutes: number,
  alertName: string,
  labels: Record<string, string>,
  summary: string,
): ClusterSubject {
  return {
    incidentId: id,
    title: summary,
    openedAt: at(minutes),
    alerts: [{ alertName, labels, annotations: { summary } }],
  };
}

const d = (a: ClusterSubject, b: ClusterSubject): number =>
  distance(featuresOf(a), featuresOf(b), normalised(DEFAULT_WEIGHTS));

describe('the distance between two incidents', () => {
  const base = { service: 'checkout', namespace: 'shop', severity: 'critical' };
  const a = incident(
    'a',
    0,
    'HighLatency',
    { ...base, instance: '10.0.0.1:80', pod: 'checkout-1' },
    'p99 latency above 2s on checkout',
  );

  it('is 0 to itself and in [0, 1] for any two', () => {
    expect(d(a, a)).toBeCloseTo(0, 9);
    const other = incident('b', 600, 'DiskFull', { service: 'billing' }, 'disk space low');
    expect(d(a, other)).toBeGreaterThan(0.8);
    expect(d(a, other)).toBeLessThanOrEqual(1);
  });

  it('ignores volatile labels (instance, pod), so replicas of one problem are close', () => {
    const replica = incident(
      'b',
      2,
      'HighLatency',
      { ...base, instance: '10.0.0.9:80', pod: 'checkout-7' },
      'p99 latency above 2s on checkout',
    );
    expect(d(a, replica)).toBeLessThan(0.02);
  });

  it('puts a paraphrase of one problem nearer than another problem of the same service at the same time', () => {
    const paraphrase = incident(
      'b',
      4,
      'LatencyP99High',
      base,
      'checkout responses are slow: p99 latency over threshold',
    );
    const other = incident('c', 4, 'DiskFull', base, 'checkout volume almost full');
    expect(d(a, paraphrase)).toBeLessThan(DEFAULT_OPTIONS.eps);
    expect(d(a, other)).toBeGreaterThan(DEFAULT_OPTIONS.eps);
  });

  it('grows with the time between openings', () => {
    const soon = incident('b', 5, 'HighLatency', base, 'p99 latency above 2s on checkout');
    const later = incident('c', 300, 'HighLatency', base, 'p99 latency above 2s on checkout');
    expect(d(a, later)).toBeGreaterThan(d(a, soon) + 0.2);
  });

  it('refuses weights that are negative, all zero or not numbers', () => {
    expect(() => normalised({ ...DEFAULT_WEIGHTS, labels: -1 })).toThrow(RangeError);
    expect(() => normalised({ ...DEFAULT_WEIGHTS, labels: 0, text: 0, time: 0 })).toThrow(RangeError);
    expect(() => normalised({ ...DEFAULT_WEIGHTS, text: Number.NaN })).toThrow(RangeError);
  });
});

describe('features of a stranger’s alerts', () => {
  it('are bounded however many and however long the labels and texts are', () => {
    const labels = Object.fromEntries(
      Array.from({ length: 5000 }, (_, i) => [`k${i}${'x'.repeat(500)}`, 'v'.repeat(10_000)]),
    );
    const text = Array.from(
      { length: 50_000 },
      (_, i) => `w${i.toString(26).replace(/\d/g, (c) => 'qrstuvwxyz'[Number(c)] ?? 'q')}`,
    ).join(' ');
    const f = featuresOf({
      incidentId: 'x',
      title: text,
      openedAt: 'not a time',
      alerts: Array.from({ length: 500 }, () => ({
        alertName: 'A'.repeat(100_000),
        labels,
        annotations: { summary: text },
      })),
    });
    expect(f.labels.size).toBeLessThanOrEqual(LIMITS.labelPairs);
    for (const pair of f.labels) expect(pair.length).toBeLessThanOrEqual(2 * LIMITS.labelChars + 1);
    expect(f.tokens.size).toBeLessThanOrEqual(LIMITS.tokens);
    for (const token of f.tokens.keys()) expect(token.length).toBeLessThanOrEqual(32);
    expect(Number.isNaN(f.openedMs)).toBe(true);
    // An unreadable time counts as far apart, never as NaN.
    expect(distance(f, f, normalised(DEFAULT_WEIGHTS))).toBeCloseTo(DEFAULT_WEIGHTS.time, 9);
    expect(f.tokens.size).toBe(LIMITS.tokens);
  });

  it('tokenise words, split camelCase, and drop numbers, ids and stopwords', () => {
    const t = tokenize('HighLatency on checkout-7f9c2d1a: p99 above 2000ms for 5xx and the 10.0.0.1');
    expect([...t.keys()].sort()).toEqual(['checkout', 'high', 'latency', 'p99', '5xx'].sort());
  });
});

describe('DBSCAN', () => {
  it('finds dense groups, marks the rest noise, and reaches border points', () => {
    // Points on a line: 0,1,2 dense; 10 alone; 20,21 a pair.
    const xs = [0, 1, 2, 10, 20, 21];
    const m = xs.map((x) => xs.map((y) => Math.abs(x - y)));
    expect(dbscan(m, 1, 2)).toEqual([0, 0, 0, -1, 1, 1]);
    expect(dbscan(m, 1, 3)).toEqual([0, 0, 0, -1, -1, -1]);
  });

  it('clusters incidents and reports their spread', () => {
    const base = { service: 'payments', namespace: 'core' };
    const subjects = [
      incident('a', 0, 'HighErrorRate', base, 'payments error rate above 5%'),
      incident('b', 3, 'Http5xxRate', base, 'payments returns many 5xx errors: error rate high'),
      incident('c', 500, 'CertExpiresSoon', { service: 'auth' }, 'TLS certificate of auth expires soon'),
    ];
    const { clusters, noise } = clusterIncidents(subjects);
    expect(clusters.map((c) => c.members.map((m) => m.incidentId))).toEqual([['a', 'b']]);
    expect(noise.map((m) => m.incidentId)).toEqual(['c']);
    expect(clusters[0]?.diameter).toBeLessThanOrEqual(DEFAULT_OPTIONS.eps);
  });

  it('refuses bad options', () => {
    expect(() => clusterLabels([], { ...DEFAULT_OPTIONS, eps: 2 })).toThrow(RangeError);
    expect(() => clusterLabels([], { ...DEFAULT_OPTIONS, minPts: 0 })).toThrow(RangeError);
  });
});

describe('agreement with the truth', () => {
  it('is 1 for the truth itself and about 0 for a clustering unrelated to it', () => {
    const truth = Array.from({ length: 200 }, (_, i) => `g${i % 20}`);
    expect(agreement(truth, truth)).toMatchObject({ ari: 1, pairF1: 1 });
    const unrelated = Array.from({ length: 200 }, (_, i) => `h${Math.floor(i / 10)}`);
    expect(Math.abs(agreement(unrelated, truth).ari)).toBeLessThan(0.05);
  });

  it('on a clean seeded stream the default clustering agrees well with the truth', () => {
    const stream = syntheticStream({ ...DEFAULT_STREAM, seed: 7 });
    const score = agreement(
      withSingletons(clusterLabels(stream)),
      stream.map((s) => s.truth),
    );
    expect(score.ari).toBeGreaterThan(0.75);
    expect(score.pairF1).toBeGreaterThan(0.75);
  });
});

describe('steadfast_alerts_clustered_total', () => {
  it('counts each incident’s alerts the first time it is in a cluster of two or more, and never again', async () => {
    const counter = new Counter({ name: 'clustered_test_total', help: 'test', registers: [new Registry()] });
    const total = async (): Promise<number> => (await counter.get()).values[0]?.value ?? 0;
    const counted = new ClusteredAlerts(counter, 3);
    const pair = {
      members: [
        { incidentId: 'a', alerts: 2 },
        { incidentId: 'b', alerts: 1 },
      ],
    };
    expect(counted.count([pair, { members: [{ incidentId: 'alone', alerts: 9 }] }])).toBe(3);
    expect(counted.count([pair])).toBe(0);
    // b joins a bigger cluster: only the newcomer counts.
    expect(counted.count([{ members: [...pair.members, { incidentId: 'c', alerts: 4 }] }])).toBe(4);
    expect(await total()).toBe(7);
    // Past its memory (3 here), the oldest incident is forgotten and would count again.
    counted.count([
      {
        members: [
          { incidentId: 'd', alerts: 1 },
          { incidentId: 'e', alerts: 1 },
        ],
      },
    ]);
    expect(counted.count([pair])).toBe(3);
  });
});

describe('bench:clusters', () => {
  it('reports ARI and pairwise F1: high for the defaults, about 0 against shuffled truth', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/clusters.ts', '--quick'],
      {
        cwd: join(import.meta.dirname, '..', '..'),
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    const r = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(r['ari']).toBeGreaterThan(0.7);
    expect(r['pairF1']).toBeGreaterThan(0.7);
    expect(Math.abs((r['shuffledTruth'] as { ari: number }).ari)).toBeLessThan(0.15);
    expect((r['baselineAlone'] as { ari: number }).ari).toBe(0);
  }, 150_000);
});
