import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectSchema, statsSchema, type EngineStats } from '../../src/fleet/engine.js';
import { interventionCounts, interventionsOn } from '../../src/fleet/interventions.js';
import { cpuSampleOf, fleetRow, measuresOf } from '../../src/fleet/row.js';
import { fleetLabelSchema, fleetSelectorOf, listOptions } from '../../src/fleet/selector.js';
import { createLifecycleActivities } from '../../src/activities/lifecycle.js';
import type { ActionRecord } from '../../src/domain/incident.js';
import { createLogger } from '../../src/lib/logger.js';
import { boundedLabel, createMetrics } from '../../src/lib/metrics.js';
import { incidentClosed } from '../../src/workflows/records.js';
import { incidentState } from '../support/incident.js';

/** Captured from podman 5's Docker API (GET /containers/{id}/stats?stream=false, GET /containers/{id}/json). */
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')) as unknown;
const stats = statsSchema.parse(fixture('podman-stats-running.json'));
const running = inspectSchema.parse(fixture('podman-inspect-running.json'));
const exited = inspectSchema.parse(fixture('podman-inspect-exited.json'));

describe('a fleet row from the engine’s stats and inspect', () => {
  it('when podman gives one sample, then CPU is the average since start, and memory, network and restarts are read', () => {
    const row = fleetRow(running, { measures: measuresOf(stats, running.State?.StartedAt) }, 0);
    const elapsedNs = (Date.parse(stats.read ?? '') - Date.parse(running.State?.StartedAt ?? '')) * 1e6;
    expect(row).toMatchObject({
      name: 'fleet-capture',
      status: 'running',
      cpuBasis: 'since-start',
      memoryBytes: 1_294_336,
      memoryLimitBytes: 67_108_864,
      memoryLimited: true,
      restarts: 0,
      netInBytes: 426,
      netOutBytes: 1020,
      interventions: 0,
    });
    expect(row.cpuCores).toBeCloseTo(46_563_434 / elapsedNs, 6);
    expect(row.memoryShare).toBeCloseTo(1_294_336 / 67_108_864, 6);
    expect(row.unknown).toBeUndefined();
  });

  it('when the previous poll left a sample, then CPU is the rate between the two', () => {
    const at = Date.parse(stats.read ?? '');
    const previous = { usedNs: 46_563_434 - 500_000_000, atMs: at - 1000 };
    const m = measuresOf(stats, running.State?.StartedAt, {
      ...previous,
      usedNs: Math.max(0, previous.usedNs),
    });
    expect(m.cpuBasis).toBe('recent');
    expect(m.cpuCores).toBeCloseTo(46_563_434 / 1e9, 6);
    // A sample from before the container (re)started says nothing about this run.
    const stale = measuresOf(stats, running.State?.StartedAt, { usedNs: 0, atMs: Date.parse('2020-01-01') });
    expect(stale.cpuBasis).toBe('since-start');
    expect(cpuSampleOf(stats)).toEqual({ usedNs: 46_563_434, atMs: at });
  });

  it('when Docker gives its own earlier sample, then CPU is the share of the system time between them', () => {
    const docker: EngineStats = {
      ...stats,
      cpu_stats: { cpu_usage: { total_usage: 3e9 }, system_cpu_usage: 20e9, online_cpus: 4 },
      precpu_stats: { cpu_usage: { total_usage: 1e9 }, system_cpu_usage: 12e9 },
    };
    // 2 s of CPU over 8 s of all four cores' time: one core's worth.
    expect(measuresOf(docker)).toMatchObject({ cpuCores: 1, cpuBasis: 'recent' });
  });

  it('leaves out the page cache the kernel can drop (cgroup v2, then v1 names)', () => {
    const v2 = { ...stats, memory_stats: { usage: 10_000, limit: 40_000, stats: { inactive_file: 2_000 } } };
    expect(measuresOf(v2)).toMatchObject({ memoryBytes: 8_000, memoryShare: 0.2 });
    const v1 = {
      ...stats,
      memory_stats: { usage: 10_000, limit: 40_000, stats: { total_inactive_file: 6_000 } },
    };
    expect(measuresOf(v1).memoryBytes).toBe(4_000);
  });

  it('when the engine leaves fields out, then those are unknown and the row says which and why', () => {
    const partial = statsSchema.parse({ read: stats.read, cpu_stats: {} });
    const noRestarts = inspectSchema.parse({ ...running, RestartCount: undefined });
    const row = fleetRow(noRestarts, { measures: measuresOf(partial, running.State?.StartedAt) }, 2);
    expect(row).toMatchObject({
      status: 'running',
      cpuCores: null,
      memoryBytes: null,
      netInBytes: null,
      restarts: null,
    });
    expect(row.unknown?.fields).toEqual([
      'cpuCores',
      'memoryBytes',
      'memoryLimitBytes',
      'memoryShare',
      'netInBytes',
      'netOutBytes',
      'restarts',
    ]);
    expect(row.unknown?.reason).toBe("the engine's answer lacks them");
    // A malformed document is refused at the edge (the collector then shows the row's unknowns).
    expect(statsSchema.safeParse({ memory_stats: { usage: 'lots' } }).success).toBe(false);
    expect(inspectSchema.safeParse({ Name: '/x' }).success).toBe(false);
  });

  it('when the container is not running, then only what inspect says is known', () => {
    const row = fleetRow(exited, { missing: 'the container is not running' }, 0);
    expect(row).toMatchObject({
      name: 'fleet-capture-2',
      status: 'exited',
      restarts: 0,
      memoryLimited: false,
    });
    expect(row.unknown).toEqual({
      fields: ['cpuCores', 'memoryBytes', 'memoryLimitBytes', 'memoryShare', 'netInBytes', 'netOutBytes'],
      reason: 'the container is not running',
    });
  });
});

describe('automatic interventions per target, from the process’s metrics', () => {
  it('counts the actions run on a container by ID, name or service label; refusals and dry runs are not', async () => {
    const { remediationActions: counter } = createMetrics();
    const id = running.Id;
    counter.inc({ action: 'docker.restart', result: 'done', target: `docker/container/${id}` });
    counter.inc({ action: 'docker.restart', result: 'failed', target: 'docker/container/fleet-capture' });
    counter.inc({ action: 'docker.scale', result: 'done', target: 'docker/service/steadfast.fleet=true' });
    counter.inc({ action: 'docker.restart', result: 'refused', target: `docker/container/${id}` });
    counter.inc({ action: 'docker.restart', result: 'dry-run', target: `docker/container/${id}` });
    counter.inc({ action: 'docker.restart', result: 'done', target: 'docker/container/another' });
    const counts = await interventionCounts(counter);
    const labels = running.Config?.Labels ?? {};
    expect(interventionsOn(counts, { id, name: 'fleet-capture', labels })).toBe(3);
    expect(interventionsOn(counts, { id: 'f'.repeat(64), name: 'quiet', labels: {} })).toBe(0);
  });

  it('cuts a target from an alert to 128 characters, never inside a character', () => {
    expect(boundedLabel('docker/container/' + 'a'.repeat(500))).toHaveLength(128);
    expect(Array.from(boundedLabel('🔥'.repeat(200)))).toHaveLength(128);
    expect(boundedLabel('docker/container/web')).toBe('docker/container/web');
  });
});

describe('STEADFAST_FLEET_LABEL', () => {
  it('takes key=value, key, or *; anything else is refused with an example', () => {
    expect(listOptions(fleetSelectorOf(fleetLabelSchema.parse('steadfast.fleet=true')))).toEqual({
      all: true,
      filters: { label: ['steadfast.fleet=true'] },
    });
    expect(listOptions(fleetSelectorOf(fleetLabelSchema.parse('*')))).toEqual({
      all: false,
      filters: { status: ['running'] },
    });
    expect(fleetLabelSchema.safeParse('team').success).toBe(true);
    for (const bad of ['', '=x', 'a=b,c=d', ' * x']) {
      const result = fleetLabelSchema.safeParse(bad);
      expect(result.success, bad).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/steadfast\.fleet=true/);
    }
  });
});

describe('the remediation metric a closed incident counts', () => {
  it('carries each action’s target, cut to 128 characters; an action with none has an empty one', async () => {
    const metrics = createMetrics();
    const lifecycle = createLifecycleActivities({ logger: createLogger('silent'), metrics });
    const long = `docker/container/${'x'.repeat(300)}`;
    const action = (index: number, target?: string): ActionRecord => ({
      index,
      action: target ? 'docker.restart' : 'wait',
      description: 'step',
      status: 'done',
      startedAt: '2026-11-30T06:00:00Z',
      ...(target ? { target } : {}),
    });
    await lifecycle.recordIncidentClosed(
      incidentClosed(
        incidentState({ stage: 'closed', outcome: 'verified', actions: [action(0, long), action(1)] }),
      ),
    );
    const values = (await metrics.remediationActions.get()).values;
    expect(values.map((v) => v.labels)).toEqual([
      { action: 'docker.restart', result: 'done', target: long.slice(0, 128) },
      { action: 'wait', result: 'done', target: '' },
    ]);
  });
});
