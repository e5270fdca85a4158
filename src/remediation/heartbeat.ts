import { heartbeat } from '@temporalio/activity';

/**
 * Calls that wait (an engine's stop waits up to its timeout, a service may answer slowly) can outlast
 * the activity's heartbeat timeout, so the activity keeps beating while it waits: a live worker's
 * call is then never taken for a dead one's and sent again.
 */
export async function beating<T>(work: Promise<T>): Promise<T> {
  heartbeat();
  const timer = setInterval(() => heartbeat(), 5_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
