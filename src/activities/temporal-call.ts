import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';

/**
 * A call to Temporal made from inside an activity: cut off at its deadline, and given up as soon as the
 * activity is cancelled. Both matter because the entities these calls reach (the guard, the verdict
 * ledger, the severity model) run on this very worker. A worker that is shutting down cancels its
 * activities and stops taking workflow tasks, so an update to an entity would never be answered: its
 * result is polled again and again, and the worker's shutdown waited for the activity forever.
 */
export function callFromActivity<R>(temporal: Client, timeoutMs: number, fn: () => Promise<R>): Promise<R> {
  const { cancellationSignal } = Context.current();
  return temporal.withAbortSignal(cancellationSignal, () =>
    temporal.withDeadline(Date.now() + timeoutMs, fn),
  );
}
