import { activityInfo, heartbeat, sleep } from '@temporalio/activity';
import type { ActionHandlers } from './handler.js';

/**
 * A wait sleeps in the activity, beating, so that a long one outlives no heartbeat timeout. Each beat
 * carries its deadline: a retry on another worker (the first one died) waits only for what is left.
 */
export const waitHandlers: ActionHandlers<'wait'> = {
  wait: {
    identify: () => Promise.resolve({ kind: 'none' }),
    snapshot: () => Promise.resolve({ action: 'wait' }),
    async apply(step) {
      const recorded: unknown = activityInfo().heartbeatDetails;
      const resumed = typeof recorded === 'number' && Number.isFinite(recorded);
      const until = resumed ? Math.min(recorded, Date.now() + step.ms) : Date.now() + step.ms;
      while (Date.now() < until) {
        heartbeat(until);
        await sleep(Math.min(5000, until - Date.now()));
      }
      const waited = `waited ${Math.round(step.ms / 1000)}s`;
      return { acted: true, summary: resumed ? `${waited} (resumed after a retry)` : waited };
    },
  },
};
