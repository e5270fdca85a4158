/** Outgoing webhooks (generic, Microsoft Teams, Discord): one JSON POST, 10 s at most. */
import { readBodyCapped } from '../lib/body.js';

export const WEBHOOK_TIMEOUT_MS = 10_000;

/** Where a webhook URL points, without its path or query: those often hold the webhook's secret. */
export function redactUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * POSTs `body` as JSON; an answer other than 2xx, a timeout or a network error throws, so the
 * activity's attempt fails and Temporal retries it. `what` names the target in the error.
 */
export async function postJson(
  url: string,
  body: unknown,
  what: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = WEBHOOK_TIMEOUT_MS,
): Promise<void> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const reason =
      err instanceof Error && err.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : String(err).split(url).join(redactUrl(url)); // fetch may quote the URL, secret path and all
    throw new Error(`${what} ${redactUrl(url)} could not be reached: ${reason}`);
  }
  // Read (a little of) the body so the connection is released, whatever the status: the receiver's
  // answer is only quoted in an error, so a huge or endless one costs no more than that.
  const { text } = await readBodyCapped(response, 800);
  if (!response.ok) {
    throw new Error(
      `${what} ${redactUrl(url)} answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
    );
  }
}
