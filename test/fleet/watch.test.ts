/**
 * The watch forecasting a container series no alert rule covers, on real parts: a podman container whose
 * memory climbs, the fleet sampler exporting it, a real Prometheus scraping the sampler's gauges, and the
 * shipped ContainerMemoryPressure watch opening a predicted incident for the container's service on a
 * real Temporal server.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import type Docker from 'dockerode';
import { Gauge } from 'prom-client';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { createWatchActivities } from '../../src/activities/watch.js';
import { loadSettings } from '../../src/config/settings.js';
import { parseWatchFile, type WatchReport } from '../../src/domain/watch.js';
import { createFleetReader } from '../../src/fleet/collect.js';
import { startFleetSampler, type FleetSampler } from '../../src/fleet/sampler.js';
import { fleetSelectorOf } from '../../src/fleet/selector.js';
import { ingestConfigFrom } from '../../src/incidents/ingest.js';
import { createLogger } from '../../src/lib/logger.js';
import { createTestContainer, testDocker } from '../support/docker.js';
import {
  startMetricsTarget,
  startPrometheus,
  waitForSamples,
  type MetricsTarget,
  type RunningPrometheus,
} from '../support/prometheus.js';
import { testClient } from '../support/temporal.js';

const run = Date.now().toString(36);
const SERVICE = `leaky-${run}`;
const NAME = `steadfast-test-watch-climb-${run}`;
// 1 MiB every half second up to 48 MiB of a 64 MiB limit: half a minute of climbing, short of the limit.
const GROW =
  '(i=0; while [ $i -lt 48 ]; do head -c 1048576 /dev/zero >> /dev/shm/grow; i=$((i+1)); sleep 0.5; done) & true';

let docker: Docker;
let container: Docker.Container | undefined;
let target: MetricsTarget;
let prometheus: RunningPrometheus;
let sampler: FleetSampler;
let client: Client;
const opened: string[] = [];

beforeAll(async () => {
  docker = testDocker();
  container = await createTestContainer(docker, NAME, {
    labels: { 'steadfast.watch-test': run, service: SERVICE },
    hostConfig: { Memory: 64 * 1024 * 1024 },
    onStart: GROW,
  });
  target = await startMetricsTarget();
  const gauge = (name: string) =>
    new Gauge({
      name,
      help: name,
      labelNames: ['container', 'service'] as const,
      registers: [target.registry],
    });
  sampler = startFleetSampler({
    read: createFleetReader(docker, { selector: fleetSelectorOf(`steadfast.watch-test=${run}`) }),
    intervalMs: 500,
    capacity: 240,
    gauges: {
      memoryShare: gauge('steadfast_fleet_memory_share'),
      cpuCores: gauge('steadfast_fleet_cpu_cores'),
      risk: gauge('steadfast_fleet_risk'),
    },
    logger: createLogger('silent'),
  });
  prometheus = await startPrometheus([{ job: 'steadfast', port: target.port }]);
  await waitForSamples(prometheus.url, `steadfast_fleet_memory_share{service="${SERVICE}"}`, 10);
  client = await testClient();
}, 90_000);

afterAll(async () => {
  sampler?.stop();
  for (const id of opened)
    await client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  await prometheus?.close();
  await target?.close();
  await container?.remove({ force: true }).catch(() => undefined);
});

it('when a container’s memory climbs, then the shipped container watch opens a predicted incident for its service', async () => {
  const shipped = join(import.meta.dirname, '..', '..', 'prometheus', 'watches.yml');
  const watch = parseWatchFile(shipped, readFileSync(shipped, 'utf8')).find(
    (w) => w.name === 'ContainerMemoryPressure',
  );
  expect(watch).toBeDefined();
  // The shipped query and threshold, over the minute of samples this test has.
  const file = join(mkdtempSync(join(tmpdir(), 'steadfast-watch-')), 'watches.yml');
  writeFileSync(
    file,
    stringify({
      watches: [
        {
          name: watch?.name,
          query: watch?.query,
          threshold: watch?.threshold,
          within: '10m',
          window: '1m',
          step: '1s',
        },
      ],
    }),
  );
  const settings = loadSettings({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `fleet-watch-tests-${run}`,
    STEADFAST_API_TOKEN: 'watch-token-0123456789abcdef',
  });
  const activities = createWatchActivities({
    watchFile: file,
    prometheusUrl: prometheus.url,
    temporal: client,
    ingest: ingestConfigFrom(settings),
    logger: createLogger('silent'),
  });
  const report: WatchReport = await new MockActivityEnvironment().run(() => activities.evaluateWatches());
  opened.push(...report.warnings.map((w) => w.incidentId));
  expect(report.problems).toEqual([]);
  expect(report.warnings.map((w) => w.series)).toEqual([{ container: NAME, service: SERVICE }]);
  expect(report.warnings[0]?.incidentId).toContain(`ContainerMemoryPressure.${SERVICE}`);
  expect(report.warnings[0]?.reason).toMatch(/forecast: rising/);
}, 60_000);
