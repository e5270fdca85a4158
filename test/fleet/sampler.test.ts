import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetReader } from '../../src/fleet/collect.js';
import { startFleetSampler, type FleetSampler } from '../../src/fleet/sampler.js';
import { fleetSelectorOf } from '../../src/fleet/selector.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics, type Metrics } from '../../src/lib/metrics.js';
import { createTestContainer, testDocker } from '../support/docker.js';

/**
 * The fleet sampler on the suite's real podman engine: a container whose memory climbs (it writes to
 * its own /dev/shm, which its memory cgroup is charged for) and one that idles, each under a 64 MiB
 * limit. The climbing one's forecast risk rises; both are exported as gauges, with their service label.
 */

const run = Date.now().toString(36);
const LABEL = `steadfast.sampler-test=${run}`;
const CLIMB = `steadfast-test-sampler-climb-${run}`;
const STEADY = `steadfast-test-sampler-steady-${run}`;
const LIMIT = 64 * 1024 * 1024;
// 1 MiB every 0.25 s, up to 40 MiB: well past the forecast's 8 samples, stopping short of the limit.
const GROW =
  '(i=0; while [ $i -lt 40 ]; do head -c 1048576 /dev/zero >> /dev/shm/grow; i=$((i+1)); sleep 0.25; done) & true';

let docker: Docker;
let metrics: Metrics;
let sampler: FleetSampler;
const containers: Docker.Container[] = [];
const ids: Record<string, string> = {};

beforeAll(async () => {
  docker = testDocker();
  const labels = { 'steadfast.sampler-test': run };
  const hostConfig = { Memory: LIMIT };
  const climb = await createTestContainer(docker, CLIMB, {
    labels: { ...labels, service: 'leaky' },
    hostConfig,
    onStart: GROW,
  });
  const steady = await createTestContainer(docker, STEADY, { labels, hostConfig });
  containers.push(climb, steady);
  ids[CLIMB] = (await climb.inspect()).Id;
  ids[STEADY] = (await steady.inspect()).Id;
  metrics = createMetrics();
  sampler = startFleetSampler({
    read: createFleetReader(docker, { selector: fleetSelectorOf(LABEL) }),
    // The test polls itself, as the interval would, so that no sample lands while it reads.
    intervalMs: 3_600_000,
    capacity: 240,
    gauges: {
      memoryShare: metrics.fleetMemoryShare,
      cpuCores: metrics.fleetCpuCores,
      risk: metrics.fleetRisk,
    },
    logger: createLogger('silent'),
  });
}, 60_000);

afterAll(async () => {
  sampler?.stop();
  for (const c of containers) await c.remove({ force: true }).catch(() => undefined);
});

const gauge = async (name: string) => (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];

describe('the fleet sampler on a real engine', () => {
  it('forecasts a high risk for the container whose memory climbs, and a low one for the steady one', async () => {
    for (let i = 0; i < 12; i++) {
      await sampler.sample();
      await new Promise((r) => setTimeout(r, 400));
    }
    const climbing = sampler.history.get(ids[CLIMB] ?? '') ?? [];
    expect(climbing.length).toBe(12);
    const shares = climbing.map((s) => s.memoryShare ?? 0);
    expect(shares.at(-1) ?? 0).toBeGreaterThan((shares[0] ?? 0) + 0.1);

    const risks = await gauge('steadfast_fleet_risk');
    const riskOf = (container: string) => risks.find((v) => v.labels['container'] === container);
    expect(riskOf(CLIMB)?.value).toBeGreaterThanOrEqual(0.8);
    expect(riskOf(CLIMB)?.labels['service']).toBe('leaky');
    expect(riskOf(STEADY)?.value).toBeLessThan(0.5);
    const shareGauge = (await gauge('steadfast_fleet_memory_share')).find(
      (v) => v.labels['container'] === CLIMB,
    );
    expect(shareGauge?.value).toBeCloseTo(shares.at(-1) ?? -1, 6);
  }, 60_000);

  it('drops a container that left the fleet from its history and its gauges', async () => {
    await containers.pop()?.remove({ force: true });
    await sampler.sample();
    expect(sampler.history.has(ids[STEADY] ?? '')).toBe(false);
    const names = (await gauge('steadfast_fleet_memory_share')).map((v) => v.labels['container']);
    expect(names).toEqual([CLIMB]);
  });
});
