import { Router, type RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { guardClient } from '../../incidents/guard.js';
import type { GuardState } from '../../workflows/guard.js';
import { principalOf, requireRole, type TokenStore } from '../auth.js';
import { invalidInput } from '../errors.js';
import type { Body } from '../schemas/common.js';
import type { guardResponseSchema } from '../schemas/operations.js';

export const pauseSchema = z.object({ reason: z.string().trim().min(1).max(2000) }).strict();
/** A resume takes nothing: a field sent with it (a reason, say) is refused rather than silently dropped. */
export const resumeSchema = z.object({}).strict();

export interface RemediationRoutesDeps {
  client: Client;
  tokens: TokenStore;
  json: RequestHandler;
  temporalTimeoutMs: number;
  taskQueue: string;
}

/** The guard as the API shows it: times as ISO text, newest reservations first. */
function view(state: GuardState): Body<typeof guardResponseSchema>['guard'] {
  return {
    paused: state.paused
      ? {
          actor: state.paused.actor,
          reason: state.paused.reason,
          at: new Date(state.paused.at).toISOString(),
        }
      : null,
    reservations: state.reservations
      .slice(-200)
      .reverse()
      .map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
  };
}

/**
 * The global pause switch and the guard's record of recent actions. Pausing stops every action that has
 * not started yet, in every incident; those incidents go back to people with the pause as the reason.
 */
export function remediationRoutes(deps: RemediationRoutesDeps): Router {
  const router = Router();
  const guard = guardClient(deps.client, deps.taskQueue);
  const bounded = <T>(fn: () => Promise<T>): Promise<T> =>
    deps.client.withDeadline(Date.now() + deps.temporalTimeoutMs, fn);

  router.get('/remediation/guard', requireRole(deps.tokens, 'read'), async (_req, res) => {
    res.json({ guard: view(await bounded(() => guard.state())) });
  });

  router.post('/remediation/pause', requireRole(deps.tokens, 'approve'), deps.json, async (req, res) => {
    const body = pauseSchema.safeParse(req.body ?? {});
    if (!body.success) throw invalidInput('pause request', body.error);
    const actor = principalOf(res).identity;
    const state = await bounded(() => guard.pause({ actor, reason: body.data.reason }));
    res.json({ guard: view(state) });
  });

  router.post('/remediation/resume', requireRole(deps.tokens, 'approve'), deps.json, async (req, res) => {
    const body = resumeSchema.safeParse(req.body ?? {});
    if (!body.success) throw invalidInput('resume request', body.error);
    const actor = principalOf(res).identity;
    res.json({ guard: view(await bounded(() => guard.resume(actor))) });
  });

  return router;
}
