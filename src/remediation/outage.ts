import { Context } from '@temporalio/activity';
import type { ActionHandler, ActionHandlers } from './handler.js';
import type { ActionName } from '../actions/steps.js';
import { messageOf } from '../lib/message-of.js';

/**
 * Socket errors of an engine that is not there: restarting (its socket gone or refusing), or gone mid-call.
 * An engine that answered, even with an error, is not in this set: its answer decides.
 */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** Whether the error (or one it was caused by) says the engine could not be reached. */
export function engineUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (e instanceof Error && /socket hang up/.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** How long one attempt of a step waits for its engine to come back before it fails. */
export const OUTAGE_BUDGET_MS = 45_000;

/**
 * Runs one call of a step, waiting out an engine that cannot be reached. A Docker daemon or a Kubernetes
 * API server restarting takes 10 to 30 s, while the step's three attempts (src/workflows/incident/
 * activities.ts) span about 6 s: a fix approved during a routine engine restart failed and was undone.
 * Waiting here rather than in the retry policy leaves the recorded activity options as they are, and
 * lengthens only this case: an engine that answers with an error still fails the attempt at once. Calling
 * again is safe for the same reason a retry is: apply compares against the snapshot and never acts twice.
 * The wait beats (the heartbeat timeout is 30 s) and ends when the activity is cancelled.
 */
export async function outlastingOutage<T>(work: () => Promise<T>, budgetMs = OUTAGE_BUDGET_MS): Promise<T> {
  const giveUpAt = Date.now() + budgetMs;
  for (let pause = 500; ; pause = Math.min(pause * 2, 4_000)) {
    try {
      return await work();
    } catch (err) {
      const context = activityContext();
      if (!context || !engineUnreachable(err) || Date.now() + pause > giveUpAt) throw err;
      context.heartbeat({ waitingForEngine: messageOf(err) });
      await context.sleep(pause);
    }
  }
}

/** The activity this runs in; none when a handler is called directly (a test, a preview). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** The handlers, each call of a step made through outlastingOutage (identify is not a step's call). */
export function outlasting<A extends ActionName>(handlers: ActionHandlers<A>): ActionHandlers<A> {
  const wrapped: Partial<Record<A, unknown>> = {};
  for (const action of Object.keys(handlers) as A[]) {
    const handler = handlers[action] as unknown as AnyCalls;
    const compensate = handler.compensate?.bind(handler);
    wrapped[action] = {
      identify: handler.identify.bind(handler),
      snapshot: (step: unknown, key: string) => outlastingOutage(() => handler.snapshot(step, key)),
      apply: (step: unknown, snapshot: unknown) => outlastingOutage(() => handler.apply(step, snapshot)),
      ...(compensate
        ? {
            compensate: (step: unknown, snapshot: unknown) =>
              outlastingOutage(() => compensate(step, snapshot)),
          }
        : {}),
    };
  }
  // The wrapper keeps each handler's shape; TypeScript cannot follow it through the mapped type.
  return wrapped as ActionHandlers<A>;
}

interface AnyCalls {
  identify: ActionHandler<ActionName>['identify'];
  snapshot(step: unknown, key: string): Promise<unknown>;
  apply(step: unknown, snapshot: unknown): Promise<unknown>;
  compensate?(step: unknown, snapshot: unknown): Promise<unknown>;
}
