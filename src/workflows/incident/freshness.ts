import type { IncidentState } from '../../domain/incident.js';
import { REFUSAL } from '../messages.js';
import { refusal } from '../refusal.js';

/**
 * Whether a request is for the incident as it stands: a person's decision or merge names the opening it
 * was made on and when its sender stops waiting, and the incident refuses one that is late for either.
 */

/**
 * Refuses a request made on an earlier opening of this incident's ID (`opened`, its `openedAt` then): a
 * Slack message or a page whose buttons stayed when that opening closed.
 */
export function refuseEarlierOpening(state: IncidentState, opened: string | undefined, what: string): void {
  if (opened === undefined || opened === state.openedAt) return;
  throw refusal(
    REFUSAL.stale,
    `this ${what} was made on an earlier opening of incident ${state.incidentId}, which closed; it opened again at ${state.openedAt}: look at it again and decide`,
  );
}

/**
 * Refuses a request taken up after its sender stopped waiting (`expiresAt`, an ISO time), judged by the
 * workflow task's time: the server's, when the incident took it up. The sender has answered that nothing
 * was recorded, so nothing must be.
 */
export function refuseExpired(expiresAt: unknown, what: string): void {
  if (expiresAt === undefined) return;
  if (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt)))
    throw refusal(REFUSAL.invalid, 'expiresAt is an ISO time');
  if (Date.now() > Date.parse(expiresAt)) {
    throw refusal(
      REFUSAL.expired,
      `the ${what} reached the incident after ${expiresAt}, when its sender had stopped waiting: nothing was recorded`,
    );
  }
}
