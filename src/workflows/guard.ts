import { ApplicationFailure, defineQuery, defineUpdate, setHandler } from '@temporalio/workflow';
import { rollOverWhenLong } from './entity.js';
import {
  decideReservation,
  pruneReservations,
  type PauseState,
  type Reservation,
  type ReserveRequest,
  type ReserveResult,
} from '../guards/policy.js';

/** One guard per task queue: every worker of a deployment shares it, separate deployments do not. */
export const guardWorkflowId = (taskQueue: string): string => `remediation-guard-${taskQueue}`;

export interface GuardState {
  paused?: PauseState;
  reservations: Reservation[];
  /**
   * The longest cooldown or window any request has asked about: older reservations can no longer count
   * against anything, so the carried state holds one window's worth of actions, not a week's.
   */
  keepMs?: number;
}

export interface PauseRequest {
  actor: string;
  reason: string;
}

export const reserveUpdate = defineUpdate<ReserveResult, [ReserveRequest]>('reserve');
/** Many requests decided in one update, in their order, as if each came alone (see src/guards/batch.ts). */
export const reserveBatchUpdate = defineUpdate<ReserveResult[], [ReserveRequest[]]>('reserveBatch');
/** Keeps one update's input and result well under the server's payload limits. */
export const MAX_RESERVE_BATCH = 100;
export const pauseUpdate = defineUpdate<GuardState, [PauseRequest]>('pause');
export const resumeUpdate = defineUpdate<GuardState, [{ actor: string }]>('resume');
export const guardStateQuery = defineQuery<GuardState>('guardState');

/**
 * One request applied to the guard's state: old reservations pruned, the request decided, a grant
 * recorded. Pure, so the state's size under load can be measured without a server.
 */
export function applyReservation(state: GuardState, request: ReserveRequest, now: number): ReserveResult {
  const { cooldownMs, windowMs } = request.policy;
  state.keepMs = Math.max(state.keepMs ?? 0, cooldownMs, windowMs);
  state.reservations = pruneReservations(state.reservations, now, state.keepMs);
  const result = decideReservation(state.reservations, request, now, state.paused);
  if (result.granted && !state.reservations.includes(result.reservation)) {
    state.reservations.push(result.reservation);
  }
  return result;
}

/**
 * The one place that counts remediation actions across all incidents. Every handler is synchronous,
 * so Temporal applies updates one at a time: two incidents asking at once are decided in order and
 * cannot both slip under a limit. The state lives in the workflow's history, which makes it durable
 * without a database, and rolls over to a new run before that history grows long.
 */
export async function remediationGuardWorkflow(carried?: GuardState): Promise<void> {
  const state: GuardState = carried ?? { reservations: [] };

  setHandler(reserveUpdate, (request) => applyReservation(state, request, Date.now()), {
    validator: validateReserve,
  });
  // A new handler adds no command, so runs recorded before it replay unchanged.
  setHandler(
    reserveBatchUpdate,
    (requests) => {
      const now = Date.now();
      return requests.map((request) => applyReservation(state, request, now));
    },
    { validator: validateReserveBatch },
  );
  setHandler(
    pauseUpdate,
    ({ actor, reason }) => {
      state.paused ??= { actor, reason, at: Date.now() };
      return state;
    },
    {
      validator: (r: PauseRequest) => {
        validateText(r.actor, 'actor');
        validateText(r.reason, 'reason');
      },
    },
  );
  setHandler(
    resumeUpdate,
    () => {
      delete state.paused;
      return state;
    },
    { validator: (r: { actor: string }) => validateText(r.actor, 'actor') },
  );
  setHandler(guardStateQuery, () => state);

  await rollOverWhenLong<typeof remediationGuardWorkflow>(state);
}

function validateText(value: unknown, name: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2000) {
    throw invalid(`${name} must be text of 1 to 2000 characters`);
  }
}

function validateReserve(r: ReserveRequest): void {
  for (const key of ['target', 'action', 'incidentId', 'stepKey'] as const) validateText(r[key], key);
  const p = r.policy;
  const positive = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  if (!p || !positive(p.cooldownMs) || !positive(p.windowMs) || !positive(p.maxActionsPerTarget)) {
    throw invalid('policy needs cooldownMs, windowMs and maxActionsPerTarget as non-negative numbers');
  }
}

function validateReserveBatch(requests: ReserveRequest[]): void {
  if (!Array.isArray(requests) || requests.length === 0 || requests.length > MAX_RESERVE_BATCH) {
    throw invalid(`a batch holds 1 to ${MAX_RESERVE_BATCH} requests`);
  }
  requests.forEach(validateReserve);
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'InvalidGuardRequest', message, nonRetryable: true });
}
