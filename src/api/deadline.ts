import type { Client } from '@temporalio/client';

/**
 * One deadline for everything a request asks Temporal. An answer that reads many incidents' states a
 * few at a time, each query bounded on its own, waited the whole timeout once per batch that held an
 * incident no worker answers for: minutes for a hundred incidents whose worker is gone. Under one
 * deadline the answer comes within the timeout, and the incidents it could not read are named. Only for
 * an answer whose listing comes first: a call made after the deadline fails at once. (The alerts API
 * lists page by page between its queries, so it keeps a deadline per call and pages by cursor.)
 */
export function requestDeadline(client: Client, timeoutMs: number): <T>(fn: () => Promise<T>) => Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return (fn) => client.withDeadline(deadline, fn);
}
