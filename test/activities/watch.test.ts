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
import { startTestWorker, testClient } from '../support/temporal.js';
import { testActivities } from '../support/activities.js';
import { waitForState } from '../support/scenario.js';
import type { incidentWorkflow } from '../../src/workflows/incident.js';

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
  // Two pods whose label sets share their first few hundred characters, climbing alike.
  const pods = target.gauge('watch_test_pod_level', ['aaa_deployment', 'pod']);
  const shared = 'd'.repeat(300);
  climb = setInterval(() => {
    const level = 0.5 + ((Date.now() - started) / 1000) * 0.01;
    gauge.set(level);
    for (const pod of ['pod-1', 'pod-2']) pods.set({ aaa_deployment: shared, pod }, level);
  }, 200);
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

/** A watch of the file's list: climbing past 0.9 within 10 minutes, read over the last minute. */
const watchLines = (name: string, query: string): string[] => [
  `  - name: ${name}`,
  `    query: ${query}`,
  '    threshold: { value: 0.9, direction: above }',
  '    within: 10m',
  '    window: 1m',
  '    step: 1s',
];

/** Evaluates the watches once, as the watch workflow's activity does, and remembers what it opened. */
async function evaluateOnce(watches: string[]): Promise<WatchReport> {
  const file = join(mkdtempSync(join(tmpdir(), 'steadfast-watch-')), 'watches.yml');
  writeFileSync(file, ['watches:', ...watches].join('\n'));
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
  return report;
}

it("when a watch names no service, then the predicted incident is the series' own service's", async () => {
  const report = await evaluateOnce(watchLines('WatchServiceTest', 'watch_test_level'));
  expect(report.problems).toEqual([]);
  expect(report.warnings.map((w) => w.series['service'])).toEqual([service]);
  const [warning] = report.warnings;
  expect(warning?.incidentId).toContain(`WatchServiceTest.${service}`);
  const described = await client.workflow.getHandle(warning?.incidentId ?? '').describe();
  expect(described.status.name).toBe('RUNNING');
});

it('when one warning cannot be sent, then the other watches still warn; two series whose labels begin alike are two alerts', async () => {
  await waitForSamples(prometheus.url, 'watch_test_pod_level', 12);
  const report = await evaluateOnce([
    ...watchLines(
      'WatchLongServiceTest',
      // A series whose service label is longer than an alert's may be (253 characters).
      `label_replace(watch_test_level, "service", "${'s'.repeat(300)}", "", "")`,
    ),
    ...watchLines('WatchPodsTest', 'watch_test_pod_level'),
  ]);

  expect(report.problems).toEqual([
    expect.stringMatching(/^WatchLongServiceTest: the warning of .* was not sent: /) as unknown,
  ]);
  expect(report.warnings.map((w) => [w.watch, w.series['pod']])).toEqual([
    ['WatchPodsTest', 'pod-1'],
    ['WatchPodsTest', 'pod-2'],
  ]);
  const [first, second] = report.warnings;
  expect(second?.incidentId).toBe(first?.incidentId);
  // The incident holds both pods' alerts: neither was taken for a duplicate of the other.
  const worker = await startTestWorker(testActivities({ runbooks: {} }), 'watch-service-tests');
  try {
    const handle = client.workflow.getHandle<typeof incidentWorkflow>(first?.incidentId ?? '');
    const state = await waitForState(handle, (s) => s.alerts.length >= 2);
    expect(state.alerts.map((a) => a.labels['pod']).sort()).toEqual(['pod-1', 'pod-2']);
  } finally {
    await worker.stop();
  }
});

it("when a warning that cannot be sent names labels with emoji, then the report's cut of them never ends in half of one", async () => {
  // The service label is longer than an alert's may be, so neither warning is sent. One of the two
  // emoji runs, a UTF-16 unit apart, puts a pair across the cut at 200 units whatever comes before it.
  const emoji = '\u{1F600}'.repeat(150);
  const query = (run: string): string =>
    `label_replace(label_replace(watch_test_level, "service", "${'s'.repeat(300)}", "", ""), "aaa", "${run}", "", "")`;
  const report = await evaluateOnce([
    ...watchLines('WatchEmojiEvenTest', query(emoji)),
    ...watchLines('WatchEmojiOddTest', query(`x${emoji}`)),
  ]);

  expect(report.problems).toHaveLength(2);
  for (const problem of report.problems) {
    expect(problem).toMatch(/ was not sent: /);
    expect(problem).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  }
});
