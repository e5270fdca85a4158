import { describeSecret, isSecretRef, type SecretHeaderRef } from './reference.js';
import { Redactor } from './redact.js';
import { resolveSecret, SecretUnavailableError, type SecretSources } from './resolve.js';

/** A header value as a plan holds it: text, or a secret by reference (with fixed text before it). */
export type HeaderValue = string | SecretHeaderRef;

// What fetch accepts in a header value; its own error would quote the value.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The headers to send, each reference read now, with a Redactor that scrubs every value read from
 * whatever the call gives back. Throws a SecretUnavailableError naming the first reference that cannot
 * be read or does not make a header value.
 */
export async function resolveHeaders(
  headers: Record<string, HeaderValue>,
  sources: SecretSources = {},
): Promise<{ headers: Record<string, string>; redactor: Redactor }> {
  const redactor = new Redactor();
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!isSecretRef(value)) {
      resolved[name] = value;
      continue;
    }
    const secret = await resolveSecret(value, sources);
    const text = `${value.prefix ?? ''}${secret}`;
    if (!HEADER_VALUE.test(text)) {
      throw new SecretUnavailableError(
        value,
        'holds a line break or another character a header cannot carry',
      );
    }
    redactor.add(secret, describeSecret(value));
    resolved[name] = text;
  }
  return { headers: resolved, redactor };
}
