import { Router, type RequestHandler } from 'express';
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import {
  guardStateQuery,
  guardWorkflowId,
  pauseUpdate,
  remediationGuardWorkflow,
  resumeUpdate,
  type GuardState,
} from '../../workflows/guard.js';
import { principalOf, requireRole, type TokenStore } from '../auth.js';
import { invalidInput } from '../errors.js';

const pauseSchema = z.object({ reason: z.string().trim().min(1).max(2000) }).strict();

export interface RemediationRoutesDeps {
  client: Client;
  tokens: TokenStore;
  json: RequestHandler;
  temporalTimeoutMs: number;
  taskQueue: string;
}

/** The guard as the API shows it: times as ISO text, newest reservations first. */
function view(state: GuardState): unknown {
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
  const { client } = deps;
  const workflowId = guardWorkflowId(deps.taskQueue);
  const bounded = <T>(fn: () => Promise<T>): Promise<T> =>
    client.withDeadline(Date.now() + deps.temporalTimeoutMs, fn);
  // The guard starts on first use; pausing before any remediation ever ran must work too.
  const withGuard = (): WithStartWorkflowOperation<typeof remediationGuardWorkflow> =>
    new WithStartWorkflowOperation(remediationGuardWorkflow, {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });

  router.get('/remediation/guard', requireRole(deps.tokens, 'read'), async (_req, res) => {
    const state = await bounded(() =>
      client.workflow
        .getHandle(workflowId)
        .query(guardStateQuery)
        .catch((err: unknown) => {
          // No remediation has run yet: nothing recorded, nothing paused.
          if (err instanceof WorkflowNotFoundError) return { reservations: [] } satisfies GuardState;
          throw err;
        }),
    );
    res.json({ guard: view(state) });
  });

  router.post('/remediation/pause', requireRole(deps.tokens, 'approve'), deps.json, async (req, res) => {
    const body = pauseSchema.safeParse(req.body ?? {});
    if (!body.success) throw invalidInput('pause request', body.error);
    const actor = principalOf(res).identity;
    const state = await bounded(() =>
      client.workflow.executeUpdateWithStart(pauseUpdate, {
        args: [{ actor, reason: body.data.reason }],
        startWorkflowOperation: withGuard(),
      }),
    );
    res.json({ guard: view(state) });
  });

  router.post('/remediation/resume', requireRole(deps.tokens, 'approve'), deps.json, async (_req, res) => {
    const actor = principalOf(res).identity;
    const state = await bounded(() =>
      client.workflow.executeUpdateWithStart(resumeUpdate, {
        args: [{ actor }],
        startWorkflowOperation: withGuard(),
      }),
    );
    res.json({ guard: view(state) });
  });

  return router;
}
