import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testActivities } from '../support/activities.js';
import { ensureWatchSchedule } from '../../src/temporal/watch-schedule.js';
import type { WatchReport } from '../../src/domain/watch.js';
import type { incidentWorkflow } from '../../src/workflows/incident.js';
import type { watchWorkflow } from '../../src/workflows/watch.js';
import { resolveUpdate, stateQuery } from '../../src/workflows/messages.js';
import {
  startMetricsTarget,
  startPrometheus,
  type MetricsTarget,
  type RunningPrometheus,
} from '../support/prometheus.js';
import { recordHistory, waitForState } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'watch-tests';
const SCHEDULE_ID = `steadfast-watch-test-${process.pid}`;

let client: Client;
let worker: TestWorker;
let prometheus: RunningPrometheus;
let target: MetricsTarget;
let ramp: NodeJS.Timeout;
let level = 0.3;

beforeAll(async () => {
  target = await startMetricsTarget();
  const gauge = target.gauge('test_disk_used_ratio');
  gauge.set(level);
  // The disk fills at 0.01 a second: the rule below would fire about a minute after the start.
  ramp = setInterval(() => gauge.set((level = Math.min(1, level + 0.0025))), 250);
  prometheus = await startPrometheus(
    [{ job: 'db', port: target.port }],
    [
      'groups:',
      '  - name: disk',
      '    rules:',
      '      - alert: DiskAlmostFull',
      '        expr: test_disk_used_ratio > 0.9',
    ].join('\n'),
  );
  const watchFile = join(tmpdir(), `steadfast-watch-${process.pid}.yaml`);
  writeFileSync(
    watchFile,
    [
      'watches:',
      '  - name: DiskAlmostFull',
      '    query: test_disk_used_ratio',
      '    service: db',
      '    threshold: { value: 0.9, direction: above }',
      '    within: 10m',
      '    window: 60s',
      '    step: 1s',
    ].join('\n'),
  );
  client = await testClient();
  worker = await startTestWorker(
    testActivities({
      runbooks: {},
      triage: { prometheusUrl: prometheus.url, seasonalOffsetsMs: [] },
      temporal: client,
      watch: {
        file: watchFile,
        ingest: {
          taskQueue: TASK_QUEUE,
          correlationLabels: ['alertname', 'service|job', 'namespace'],
          debounceMs: 200,
          maxHistoryEvents: 5000,
          maxHistoryBytes: 20 * 1_048_576,
          dryRun: false,
          temporalTimeoutMs: 5000,
        },
      },
    }),
    TASK_QUEUE,
  );
  await ensureWatchSchedule(client, { taskQueue: TASK_QUEUE, intervalMs: 2000, scheduleId: SCHEDULE_ID });
}, 120_000);

afterAll(async () => {
  clearInterval(ramp);
  await client?.schedule
    .getHandle(SCHEDULE_ID)
    .delete()
    .catch(() => undefined);
  await worker?.stop();
  await prometheus?.close();
  await target?.close();
});

interface WatchRun {
  workflowId: string;
  startTime: Date;
  report: WatchReport;
}

/** The schedule's completed watch runs, with their reports, once `enough` holds for them. */
async function watchRunsUntil(enough: (runs: WatchRun[]) => boolean): Promise<WatchRun[]> {
  const query = `WorkflowType = 'watchWorkflow' AND ExecutionStatus = 'Completed' AND TemporalScheduledById = '${SCHEDULE_ID}'`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const runs: WatchRun[] = [];
    for await (const wf of client.workflow.list({ query })) {
      const report = await client.workflow.getHandle<typeof watchWorkflow>(wf.workflowId, wf.runId).result();
      runs.push({ workflowId: wf.workflowId, startTime: wf.startTime, report });
    }
    if (enough(runs)) return runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    if (Date.now() > deadline) throw new Error(`timed out; ${runs.length} completed watch runs`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function firingRules(): Promise<string[]> {
  const body = (await fetch(`${prometheus.url}/api/v1/alerts`).then((r) => r.json())) as {
    data: { alerts: { labels: { alertname: string }; state: string }[] };
  };
  return body.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname);
}

describe('the proactive watch', () => {
  it('opens a predicted incident while the metric ramps, before the alert rule fires', async () => {
    const query = `WorkflowType = 'incidentWorkflow' AND IncidentSeverity = 'predicted' AND IncidentService = 'db'`;
    let found: string | undefined;
    const deadline = Date.now() + 60_000;
    while (!found && Date.now() < deadline) {
      for await (const wf of client.workflow.list({ query })) found = wf.workflowId;
      if (!found) await new Promise((r) => setTimeout(r, 250));
    }
    const levelAtOpen = level;
    const firingAtOpen = await firingRules();
    expect(found).toBeDefined();
    expect(levelAtOpen).toBeLessThan(0.9);
    expect(firingAtOpen).not.toContain('DiskAlmostFull');

    const handle = client.workflow.getHandle<typeof incidentWorkflow>(found ?? '');
    let state = await handle.query(stateQuery);
    const deadlineState = Date.now() + 30_000;
    while (state.prediction === undefined && Date.now() < deadlineState) {
      await new Promise((r) => setTimeout(r, 200));
      state = await handle.query(stateQuery);
    }
    expect(state.severity).toBe('predicted');
    expect(state.alertName).toBe('DiskAlmostFull');
    expect(state.alerts[0]?.annotations['query']).toBe('test_disk_used_ratio > 0.9');
    expect(state.alerts[0]?.annotations['description']).toMatch(/crosses 0\.9 in about/);
    expect(state.prediction?.forecast?.secondsToThreshold).toBeGreaterThan(0);

    // Later runs join the same open incident instead of opening more: every warning names it.
    const openedAt = (await handle.describe()).startTime;
    const runs = await watchRunsUntil((all) =>
      all.some((r) => r.startTime > openedAt && r.report.warnings.length > 0),
    );
    const warned = runs.filter((r) => r.report.warnings.length > 0);
    expect(new Set(warned.flatMap((r) => r.report.warnings.map((w) => w.incidentId)))).toEqual(
      new Set([found]),
    );
    const later = await waitForState(handle, (s) => s.duplicatesDropped > 0);
    expect(later.alerts).toHaveLength(1);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'test', via: 'api' }] });
    const joining = warned.at(-1);
    if (joining) await recordHistory(client, joining.workflowId, 'watch-joins-predicted-incident');
  });
});
