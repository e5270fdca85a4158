/**
 * Refusals the guard's server gives while the guard itself is fine: its history rolling over to a new
 * run aborts the updates in flight ("workflow is closing", "update was aborted"), and a workflow holds at
 * most ten updates in flight ("too many in-flight updates"). Neither changed the guard's state, so the
 * same request is asked again at once, after a short jittered pause, rather than after the SDK's own
 * backoff of one to five seconds a try (which an activity's timeout would cut short).
 */
const TRANSIENT = [/aborted/i, /workflow is closing/i, /in-flight updates/i, /continued as new/i];

export function isTransientGuardRefusal(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const { message } = e;
    if (TRANSIENT.some((pattern) => pattern.test(message))) return true;
  }
  return false;
}

export interface AskAgainOptions {
  /** Stop asking again after this long and let the error reach the caller (whose retry takes over). */
  budgetMs: number;
  /** The first pause; each try doubles it, up to ten times, with up to half of it added at random. */
  firstPauseMs: number;
  /** Told of each refusal before it is asked again (the bench counts them). */
  onAskAgain?: (err: unknown) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function askAgainWhileTransient<T>(ask: () => Promise<T>, options: AskAgainOptions): Promise<T> {
  const { budgetMs, firstPauseMs, onAskAgain, sleep = pause, random = Math.random } = options;
  const deadline = Date.now() + budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await ask();
    } catch (err) {
      const base = firstPauseMs * 2 ** Math.min(attempt, 10);
      const wait = Math.min(base * (1 + random() / 2), 1_000);
      if (!isTransientGuardRefusal(err) || Date.now() + wait > deadline) throw err;
      onAskAgain?.(err);
      await sleep(wait);
    }
  }
}
