import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';

/**
 * How a remediation step meets its activity's cancellation. Temporal asks an activity to stop for two
 * reasons that call for opposite answers:
 * - the incident no longer wants the step (its workflow was cancelled or closed): the step ends as
 *   cancelled, and the saga moves on to its rollback without waiting for a call nobody needs;
 * - the worker is stopping and its drain (STEADFAST_WORKER_DRAIN) is over: the step is not finished, so it
 *   fails as retryable and the server hands it to another worker at once. Reported as cancelled (nothing
 *   had asked for a cancellation), such a step ran again only after its heartbeat timeout: a `wait` cut
 *   by a stop, before the drain existed, ran again 30 s later (test/faults measures the hand-over).
 */

/** A signal that aborts a call when its own time is up or when the activity is asked to stop. */
export function callSignal(timeoutMs: number): AbortSignal {
  return AbortSignal.any([AbortSignal.timeout(timeoutMs), Context.current().cancellationSignal]);
}

/**
 * The activity's cancellation, once it has been asked to stop. A call aborted by callSignal rejects with
 * it; a caller that words its own errors rethrows it, so that a cancellation never reads as a failed call.
 */
export function activityCancellation(): CancelledFailure | undefined {
  const { cancellationSignal } = Context.current();
  const reason: unknown = cancellationSignal.reason;
  return cancellationSignal.aborted && reason instanceof CancelledFailure ? reason : undefined;
}

const stoppingWorker = (failure: CancelledFailure): boolean =>
  Context.current().cancellationDetails?.workerShutdown === true || failure.message === 'WORKER_SHUTDOWN';

/** Runs a step's activity, handing it over to another worker when this one stops under it (see above). */
export async function handedOverOnStop<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof CancelledFailure && stoppingWorker(err)) {
      throw ApplicationFailure.create({
        type: 'WorkerStopped',
        message: `the worker stopped during ${what} after its drain (STEADFAST_WORKER_DRAIN); another worker retries it`,
        nonRetryable: false,
      });
    }
    throw err;
  }
}
