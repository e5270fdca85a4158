/**
 * An alert's dedupeKey: one firing (fingerprint and startsAt) from one sender. Apart from alert.ts,
 * which imports Node's crypto, so the workflow can read keys too.
 */

/**
 * The dedupeKey of one firing from one sender. The fingerprint is the sender's word (and a generic
 * alert's is its labels' hash, which anyone can compute), so without the sender any ingest token could
 * resolve, and so close, an incident another sender opened.
 */
export function dedupeKeyOf(sender: string | undefined, firing: string): string {
  return sender === undefined ? firing : `${sender}/${firing}`;
}

/** The dedupeKey the alert would have had before senders were kept. */
export function keyWithoutSender(alert: { dedupeKey: string; sender?: string }): string {
  return alert.sender === undefined ? alert.dedupeKey : alert.dedupeKey.slice(alert.sender.length + 1);
}

/** Stands for the startsAt in the dedupeKey of a generic alert sent without one. */
export const NO_START = 'unspecified';

/**
 * Whether the alert's dedupeKey names one firing of it (its sender said when it started), so that once
 * that firing resolved, a delivery of it firing is late, not new. A generic alert without a startsAt names
 * only the alert: it may fire again under the same key.
 */
export function namesOneFiring(alert: { dedupeKey: string }): boolean {
  return !alert.dedupeKey.endsWith(`@${NO_START}`);
}
