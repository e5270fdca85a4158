import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { watchWorkflow } from '../workflows/watch.js';

export const WATCH_SCHEDULE_ID = 'steadfast-watch';

/**
 * Creates the Schedule that runs the watch workflow every `intervalMs`, or brings an existing one to
 * this interval and task queue. Overlapping runs are skipped: a slow Prometheus never piles them up.
 */
export async function ensureWatchSchedule(
  client: Client,
  options: { taskQueue: string; intervalMs: number; scheduleId?: string },
): Promise<void> {
  const scheduleId = options.scheduleId ?? WATCH_SCHEDULE_ID;
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'watchWorkflow',
    workflowId: `${scheduleId}-run`,
    taskQueue: options.taskQueue,
    args: [] as Parameters<typeof watchWorkflow>,
  };
  const spec = { intervals: [{ every: options.intervalMs }] };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action }));
  }
}
