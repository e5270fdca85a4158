import { describe, expect, it } from 'vitest';
import { recordPoll, type FleetHistory, type FleetSample } from '../../src/fleet/history.js';
import { fleetRisk, RISK } from '../../src/fleet/risk.js';
import type { FleetRow } from '../../src/fleet/row.js';

const samples = (shares: number[], stepMs = 15_000): FleetSample[] =>
  shares.map((memoryShare, i) => ({ atMs: 1_700_000_000_000 + i * stepMs, memoryShare, cpuCores: 0.1 }));

describe('fleet risk', () => {
  it('is high for memory climbing toward the limit, and says when it gets there', () => {
    const risk = fleetRisk(samples(Array.from({ length: 20 }, (_, i) => 0.4 + i * 0.02)), true);
    expect(risk.level).toBe('high');
    expect(risk.probability).toBeGreaterThanOrEqual(0.8);
    expect(risk.secondsToThreshold).toBeGreaterThan(0);
    expect(risk.basis).toMatch(/chance memory passes 90% of its limit within 30 min \(20 samples\)/);
  });

  it('is low for memory that holds steady with some noise', () => {
    const flat = Array.from({ length: 40 }, (_, i) => 0.3 + (i % 3) * 0.005);
    expect(fleetRisk(samples(flat), true)).toMatchObject({ level: 'low' });
  });

  it('is unknown, with why, without a limit or with too few samples', () => {
    expect(fleetRisk(samples([0.5, 0.6, 0.7, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89]), false)).toMatchObject({
      level: 'unknown',
      probability: null,
      basis: /no memory limit/,
    });
    expect(fleetRisk(samples([0.5, 0.6]), true)).toMatchObject({
      level: 'unknown',
      basis: `2 of the ${RISK.minSamples} memory samples a forecast needs`,
    });
  });
});

describe('fleet history', () => {
  const row = (id: string, memoryShare: number): FleetRow =>
    ({ id, name: id, memoryShare, cpuCores: 0.1 }) as FleetRow;

  it('keeps the latest samples of each container and forgets containers that left', () => {
    const history: FleetHistory = new Map();
    for (let i = 0; i < 5; i++) recordPoll(history, [row('a', i / 10), row('b', 0.5)], i * 1000, 3);
    expect(history.get('a')?.map((s) => s.memoryShare)).toEqual([0.2, 0.3, 0.4]);
    recordPoll(history, [row('a', 0.5)], 6000, 3);
    expect([...history.keys()]).toEqual(['a']);
  });
});
