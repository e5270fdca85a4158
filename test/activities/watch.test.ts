/**
 * The watch activity on real parts: a real Prometheus scraping a series that climbs, a watch file without
 * a `service`, and a real Temporal server where the predicted incident is opened, for the service the
 * series' own label names.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createWatchActivities } from '../../src/activities/watch.js';
import { loadSettings } from '../../src/config/settings.js';
import type { WatchReport } from '../../src/domain/watch.js';
import { ingestConfigFrom } from '../../src/incidents/ingest.js';
import { createLogger } from '../../src/lib/logger.js';
import {
  startMetricsTarget,
  startPrometheus,
  waitForSamples,
  type MetricsTarget,
  type RunningPrometheus,
} from '../support/prometheus.js';
import { testClient } from '../support/temporal.js';

const service = `watched-${Date.now().toString(36)}`;
let target: MetricsTarget;
let prometheus: RunningPrometheus;
let client: Client;
let climb: NodeJS.Timeout;
const opened: string[] = [];

beforeAll(async () => {
  target = await startMetricsTarget();
  const gauge = target.gauge('watch_test_level');
  const started = Date.now();
  // Half-way to the threshold and climbing a hundredth a second: a crossing within the minute.
  climb = setInterval(() => gauge.set(0.5 + ((Date.now() - started) / 1000) * 0.01), 200);
  prometheus = await startPrometheus([{ job: 'watch-test', port: target.port, labels: { service } }]);
  await waitForSamples(prometheus.url, 'watch_test_level', 12);
  client = await testClient();
}, 60_000);

afterAll(async () => {
  clearInterval(climb);
  for (const id of opened)
    await client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  await prometheus?.close();
  await target?.close();
});

it("when a watch names no service, then the predicted incident is the series' own service's", async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'steadfast-watch-')), 'watches.yml');
  writeFileSync(
    file,
    [
      'watches:',
      '  - name: WatchServiceTest',
      '    query: watch_test_level',
      '    threshold: { value: 0.9, direction: above }',
      '    within: 10m',
      '    window: 1m',
      '    step: 1s',
    ].join('\n'),
  );
  const settings = loadSettings({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: 'watch-service-tests',
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
  expect(report.warnings.map((w) => w.series['service'])).toEqual([service]);
  const [warning] = report.warnings;
  expect(warning?.incidentId).toContain(`WatchServiceTest.${service}`);
  const described = await client.workflow.getHandle(warning?.incidentId ?? '').describe();
  expect(described.status.name).toBe('RUNNING');
});
