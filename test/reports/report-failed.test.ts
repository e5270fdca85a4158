import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createLifecycleActivities } from '../../src/activities/lifecycle.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { incidentClosed } from '../../src/workflows/records.js';
import { incidentState } from '../support/incident.js';

const dir = mkdtempSync(join(tmpdir(), 'steadfast-report-failed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a report that cannot be written', () => {
  it('when the reports folder cannot be made, then each attempt fails, and the last is counted and logged while the close completes', async () => {
    // A file where the folder should be: mkdir fails as on a full or read-only disk, for real.
    const blocked = join(dir, 'reports');
    writeFileSync(blocked, 'not a folder');
    const lines: Record<string, unknown>[] = [];
    const metrics = createMetrics();
    const lifecycle = createLifecycleActivities({
      logger: pino(
        { level: 'info' },
        { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
      ),
      metrics,
      reports: { dir: blocked, workflowUrl: (id) => `http://127.0.0.1:8233/workflows/${id}` },
    });
    const state = incidentClosed(
      incidentState({ stage: 'closed', outcome: 'resolved', closedAt: new Date().toISOString() }),
    );
    const failed = async (): Promise<number> =>
      (await metrics.registry.getSingleMetric('steadfast_reports_failed_total')?.get())?.values[0]?.value ??
      -1;
    expect(await failed()).toBe(0);

    // An early attempt throws, so Temporal retries it; nothing is counted yet.
    await expect(
      new MockActivityEnvironment({ attempt: 1 }).run(() => lifecycle.recordIncidentClosed(state)),
    ).rejects.toThrow(/EEXIST|ENOTDIR/);
    expect(await failed()).toBe(0);

    // The last one gives up on the file, counts it and says so, and the incident still closes.
    await new MockActivityEnvironment({ attempt: 4 }).run(() => lifecycle.recordIncidentClosed(state));
    expect(await failed()).toBe(1);
    expect(lines.filter((l) => l['event'] === 'report.failed')).toEqual([
      expect.objectContaining({ incidentId: state.incidentId, attempt: 4 }),
    ]);
  });
});
