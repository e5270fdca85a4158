import { Router, type RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { summarize } from '../../domain/incident-view.js';
import { sendDecision } from '../../incidents/decisions.js';
import { incidentFilterSchema, listIncidents } from '../../incidents/list.js';
import { type DecisionResult, INCIDENT_ID, stateQuery } from '../../workflows/messages.js';
import type { Metrics } from '../../lib/metrics.js';
import { principalOf, requireRole, type TokenStore } from '../auth.js';
import { fromTemporal, HttpError, invalidInput } from '../errors.js';
import { stateWithoutSecrets } from '../../secrets/plan.js';
import type { Body } from '../schemas/common.js';
import type {
  decisionResponseSchema,
  incidentListResponseSchema,
  incidentResponseSchema,
} from '../schemas/incident.js';
import { queryInt } from '../query-params.js';

// The API offers the filters people look incidents up by; the values follow the one rule in list.ts.
export const listQuerySchema = incidentFilterSchema
  .pick({ status: true, service: true, severity: true, stage: true })
  .extend({ limit: queryInt(1, 500, 50) })
  .strict();
export const idSchema = z.string().regex(INCIDENT_ID, 'an incident ID');
export const decisionSchema = z
  .object({
    reason: z.string().max(2000).optional(),
    // An approval during a change freeze (or outside the runbook's hours) must say it overrides it.
    override: z.boolean().optional(),
    // The approval round of the plan the sender looked at (the incident's `round`, 0 for the first): an
    // approval or rejection sent for an earlier round's plan is refused (409 StaleDecision).
    round: z.number().int().min(0).max(1_000_000).optional(),
    // When the incident the sender looked at opened (its `openedAt`): any decision sent for an incident
    // that closed since is refused by the one opened again under its ID (409 StaleDecision).
    opened: z.iso.datetime({ offset: true }).max(64).optional(),
  })
  .strict()
  .default({});

export interface IncidentRoutesDeps {
  client: Client;
  tokens: TokenStore;
  metrics: Metrics;
  temporalTimeoutMs: number;
  json: RequestHandler;
  workflowUrl: (id: string) => string;
}

export function incidentRoutes(deps: IncidentRoutesDeps): Router {
  const router = Router();
  const { client } = deps;
  const bounded = <T>(fn: () => Promise<T>): Promise<T> =>
    client.withDeadline(Date.now() + deps.temporalTimeoutMs, fn);

  router.get('/incidents', requireRole(deps.tokens, 'read'), async (req, res) => {
    const parsed = listQuerySchema.safeParse(req.query);
    if (!parsed.success) throw invalidInput('filter', parsed.error);
    const { limit, ...filter } = parsed.data;
    const listed = await bounded(() => listIncidents(client, filter, limit));
    res.json({
      incidents: listed.map((i) => ({ ...i, temporalUrl: deps.workflowUrl(i.incidentId) })),
    } satisfies Body<typeof incidentListResponseSchema>);
  });

  router.get('/incidents/:id', requireRole(deps.tokens, 'read'), async (req, res) => {
    const id = idSchema.safeParse(req.params['id']);
    if (!id.success) throw invalidInput('incident ID', id.error);
    const state = await bounded(() => client.workflow.getHandle(id.data).query(stateQuery));
    res.json({
      incident: stateWithoutSecrets(state),
      // What every surface derives from the state (risk, pending decision, stages), derived once here.
      summary: summarize(state),
      temporalUrl: deps.workflowUrl(id.data),
    } satisfies Body<typeof incidentResponseSchema>);
  });

  for (const verb of ['approve', 'reject', 'acknowledge', 'resolve'] as const) {
    router.post(
      `/incidents/:id/${verb}`,
      requireRole(deps.tokens, 'approve'),
      deps.json,
      async (req, res) => {
        const id = idSchema.safeParse(req.params['id']);
        if (!id.success) throw invalidInput('incident ID', id.error);
        const body = decisionSchema.safeParse(req.body ?? {});
        if (!body.success) {
          throw invalidInput(
            'decision (the actor is always the token identity; send only an optional reason, override: true to approve during a change freeze, and the round and opening of the plan you decide on)',
            body.error,
          );
        }
        const { identity } = principalOf(res);
        const decision = {
          actor: identity,
          via: 'api',
          ...(body.data.reason ? { reason: body.data.reason } : {}),
          ...(verb === 'approve' && body.data.override ? { override: true } : {}),
          ...((verb === 'approve' || verb === 'reject') && body.data.round !== undefined
            ? { round: body.data.round }
            : {}),
          ...(body.data.opened !== undefined ? { opened: body.data.opened } : {}),
        };
        let result: DecisionResult;
        try {
          result = await sendDecision(client, id.data, verb, decision, Date.now() + deps.temporalTimeoutMs);
        } catch (err) {
          const handle = client.workflow.getHandle(id.data);
          throw await closedOr(err, () => bounded(() => handle.describe()));
        }
        // The update answers with the decision only; GET /incidents/:id has the whole state.
        res.json({
          accepted: true,
          decision: verb,
          actor: identity,
          incident: result,
        } satisfies Body<typeof decisionResponseSchema>);
      },
    );
  }
  return router;
}

/**
 * An update sent to a finished workflow fails as if the workflow did not exist; when it does exist and
 * has finished, say plainly that the incident is closed.
 */
async function closedOr(
  err: unknown,
  describe: () => Promise<{ status: { name: string } }>,
): Promise<unknown> {
  const message = err instanceof Error ? err.message : '';
  if (fromTemporal(err)?.status === 404 || /already completed/i.test(message)) {
    const info = await describe().catch(() => undefined);
    if (info && info.status.name !== 'RUNNING')
      return new HttpError(409, 'IncidentClosed', 'the incident is closed');
  }
  return err;
}
