import { heartbeat, sleep } from '@temporalio/activity';
import type { ActionHandlers } from './handler.js';

/** A wait sleeps in the activity, beating, so that a long one outlives no heartbeat timeout. */
export const waitHandlers: ActionHandlers<'wait'> = {
  wait: {
    identify: () => Promise.resolve({ kind: 'none' }),
    snapshot: () => Promise.resolve({ action: 'wait' }),
    async apply(step) {
      const until = Date.now() + step.ms;
      while (Date.now() < until) {
        heartbeat();
        await sleep(Math.min(5000, until - Date.now()));
      }
      return { acted: true, summary: `waited ${Math.round(step.ms / 1000)}s` };
    },
  },
};
