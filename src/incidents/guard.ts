import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { askAgainWhileTransient, type AskAgainOptions } from '../guards/ask-again.js';
import { entityHandle, type EntityHandle } from './entity.js';
import { batcher, type Batcher } from '../guards/batch.js';
import type { ReserveRequest, ReserveResult } from '../guards/policy.js';
import {
  MAX_RESERVE_BATCH,
  guardStateQuery,
  guardWorkflowId,
  pauseUpdate,
  remediationGuardWorkflow,
  resumeUpdate,
  reserveBatchUpdate,
  reserveUpdate,
  type GuardState,
  type PauseRequest,
} from '../workflows/guard.js';

/** The remediation guard of one task queue, as its callers (the activities, the API) use it. */
export interface GuardClient {
  /** Leave to run one action on a target; the same step key gets the same answer. */
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  pause(request: PauseRequest): Promise<GuardState>;
  resume(actor: string): Promise<GuardState>;
  /** What the guard has recorded; nothing when no remediation has run yet. */
  state(): Promise<GuardState>;
}

/** Within the 15 s the reserveAction activity has a try, with room for the answer to come back. */
const ASK_AGAIN = { budgetMs: 10_000, firstPauseMs: 20 };

/** One batcher per client and task queue: every activity of a worker process shares it. */
const reservers = new WeakMap<Client, Map<string, Batcher<ReserveRequest, ReserveResult>>>();

export interface GuardClientOptions {
  /** Told of each transient refusal the client asks again after (the bench counts them). */
  onAskAgain?: (err: unknown) => void;
}

function reserver(
  client: Client,
  taskQueue: string,
  guard: EntityHandle,
  options: GuardClientOptions,
): Batcher<ReserveRequest, ReserveResult> {
  const byQueue = reservers.get(client) ?? new Map<string, Batcher<ReserveRequest, ReserveResult>>();
  reservers.set(client, byQueue);
  const known = byQueue.get(taskQueue);
  if (known) return known;
  const again: AskAgainOptions = { ...ASK_AGAIN, ...options };
  // Each ask ends by its budget, even when the guard never answers (its worker is shutting down): an
  // update's result is otherwise polled for ever, and the activity with it.
  const ask = <T>(update: () => Promise<T>): Promise<T> =>
    client.withDeadline(Date.now() + again.budgetMs, () => askAgainWhileTransient(update, again));
  const one = (request: ReserveRequest): Promise<ReserveResult> =>
    ask(() => guard.update(reserveUpdate, request));
  const send = async (batch: ReserveRequest[]): Promise<PromiseSettledResult<ReserveResult>[]> => {
    if (batch.length === 1) return Promise.allSettled([one(batch[0] as ReserveRequest)]);
    try {
      const results = await ask(() => guard.update(reserveBatchUpdate, batch));
      return results.map((value) => ({ status: 'fulfilled', value }));
    } catch (err) {
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      // Refused whole, nothing decided: a request in it is invalid, or the guard runs on a worker older
      // than batches. Asked one at a time, only a bad request gets an error.
      const settled: PromiseSettledResult<ReserveResult>[] = [];
      for (const request of batch) settled.push(...(await Promise.allSettled([one(request)])));
      return settled;
    }
  };
  const made = batcher(send, MAX_RESERVE_BATCH);
  byQueue.set(taskQueue, made);
  return made;
}

/**
 * Every change goes through update-with-start: the guard starts on first use, so the first action ever
 * and a pause before any action both find it. It runs on the task queue the incidents run on.
 */
export function guardClient(
  client: Client,
  taskQueue: string,
  options: GuardClientOptions = {},
): GuardClient {
  const guard = entityHandle(client, remediationGuardWorkflow, guardWorkflowId(taskQueue), taskQueue);
  return {
    // Requests asked at once from one process go as one update (src/guards/batch.ts).
    reserve: (request) => reserver(client, taskQueue, guard, options).ask(request),
    pause: (request) => guard.update(pauseUpdate, request),
    resume: (actor) => guard.update(resumeUpdate, { actor }),
    // No remediation has run yet: nothing recorded, nothing paused.
    state: () => guard.query(guardStateQuery, { reservations: [] } satisfies GuardState),
  };
}
