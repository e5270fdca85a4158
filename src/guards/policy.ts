import type { GuardPolicy } from '../domain/incident.js';

/** One action that a guard let through, kept to count later actions on the same target against. */
export interface Reservation {
  target: string;
  action: string;
  incidentId: string;
  /** Unique to one step of one incident's attempt: a retried reservation finds its own. */
  stepKey: string;
  /** Epoch milliseconds (workflow time). */
  at: number;
}

export interface ReserveRequest {
  target: string;
  action: string;
  incidentId: string;
  stepKey: string;
  policy: Pick<GuardPolicy, 'cooldownMs' | 'maxActionsPerTarget' | 'windowMs'>;
}

export type ReserveResult = { granted: true; reservation: Reservation } | { granted: false; reason: string };

export interface PauseState {
  actor: string;
  reason: string;
  at: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const minutes = (ms: number): string =>
  ms >= 3_600_000 && ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${Math.round(ms / 60_000)}m`;

/**
 * Whether one more action on a target may run now. Pure, so the guard workflow can apply it
 * atomically and tests can check it without a server.
 *
 * The cooldown is kept between incidents only: one incident's plan may touch its target twice in a row
 * (restart, then raise the limit), but a second incident must not act on a target another has just
 * changed before that change could show its effect. The rate limit counts every action.
 */
export function decideReservation(
  reservations: readonly Reservation[],
  request: ReserveRequest,
  now: number,
  paused?: PauseState,
): ReserveResult {
  const own = reservations.find((r) => r.stepKey === request.stepKey);
  if (own) return { granted: true, reservation: own };
  if (paused) {
    return {
      granted: false,
      reason: `remediation is paused by ${paused.actor} since ${iso(paused.at)}: ${paused.reason}`,
    };
  }
  const { cooldownMs, maxActionsPerTarget, windowMs } = request.policy;
  const onTarget = reservations.filter((r) => r.target === request.target);
  const lastOther = onTarget.filter((r) => r.incidentId !== request.incidentId).at(-1);
  if (lastOther && now - lastOther.at < cooldownMs) {
    return {
      granted: false,
      reason:
        `${request.target} was changed by incident ${lastOther.incidentId} at ${iso(lastOther.at)} ` +
        `(${lastOther.action}); the cooldown of ${minutes(cooldownMs)} ends at ${iso(lastOther.at + cooldownMs)}`,
    };
  }
  const recent = onTarget.filter((r) => now - r.at < windowMs);
  if (recent.length >= maxActionsPerTarget) {
    const oldest = recent[0] as Reservation;
    return {
      granted: false,
      reason:
        `${request.target} already had ${recent.length} action(s) in the last ${minutes(windowMs)} ` +
        `(at most ${maxActionsPerTarget}); the next is allowed at ${iso(oldest.at + windowMs)}`,
    };
  }
  return {
    granted: true,
    reservation: {
      target: request.target,
      action: request.action,
      incidentId: request.incidentId,
      stepKey: request.stepKey,
      at: now,
    },
  };
}

/** Reservations old enough that no window can still count them. */
export function pruneReservations(
  reservations: readonly Reservation[],
  now: number,
  keepMs: number,
): Reservation[] {
  return reservations.filter((r) => now - r.at < keepMs);
}
