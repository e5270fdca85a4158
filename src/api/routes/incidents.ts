import { Router, type RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { STAGES } from '../../domain/incident.js';
import { riskOf, summarize } from '../../domain/incident-view.js';
import { sendDecision } from '../../incidents/decisions.js';
import { type DecisionResult, INCIDENT_WORKFLOW_TYPE, stateQuery } from '../../workflows/messages.js';
import { SA } from '../../workflows/search-attributes.js';
import type { Metrics } from '../../lib/metrics.js';
import { principalOf, requireRole, type TokenStore } from '../auth.js';
import { fromTemporal, HttpError, invalidInput } from '../errors.js';
import { stateWithoutSecrets } from '../../secrets/plan.js';

const keyword = z.string().regex(/^[A-Za-z0-9_.:/-]{1,200}$/, 'letters, digits and _ . : / -');
const listQuerySchema = z
  .object({
    status: z.enum(['open', 'closed']).optional(),
    service: keyword.optional(),
    severity: keyword.optional(),
    stage: z.enum(STAGES).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
const idSchema = z.string().regex(/^[A-Za-z0-9._-]{1,255}$/, 'an incident ID');
const decisionSchema = z
  .object({ reason: z.string().max(2000).optional() })
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
    const f = parsed.data;
    // Values are restricted to a safe alphabet above, so they can be quoted into the visibility query.
    const clauses = [`WorkflowType = '${INCIDENT_WORKFLOW_TYPE}'`];
    if (f.status === 'open') clauses.push(`ExecutionStatus = 'Running'`);
    if (f.status === 'closed') clauses.push(`ExecutionStatus != 'Running'`);
    if (f.service) clauses.push(`${SA.service.name} = '${f.service}'`);
    if (f.severity) clauses.push(`${SA.severity.name} = '${f.severity}'`);
    if (f.stage) clauses.push(`${SA.stage.name} = '${f.stage}'`);
    const incidents = await bounded(async () => {
      const out = [];
      for await (const wf of client.workflow.list({ query: clauses.join(' AND '), pageSize: f.limit })) {
        const sa = wf.typedSearchAttributes;
        out.push({
          incidentId: wf.workflowId,
          runId: wf.runId,
          status: wf.status.name === 'RUNNING' ? 'open' : 'closed',
          executionStatus: wf.status.name,
          service: sa.get(SA.service) ?? null,
          alertName: sa.get(SA.alertName) ?? null,
          severity: sa.get(SA.severity) ?? null,
          // Visibility holds no plan: the severity alone decides a listed incident's light.
          risk: riskOf({ severity: sa.get(SA.severity) ?? '' }),
          stage: sa.get(SA.stage) ?? null,
          runbook: sa.get(SA.runbook) ?? null,
          outcome: sa.get(SA.outcome) ?? null,
          openedAt: wf.startTime.toISOString(),
          closedAt: wf.closeTime?.toISOString() ?? null,
          temporalUrl: deps.workflowUrl(wf.workflowId),
        });
        if (out.length >= f.limit) break;
      }
      return out;
    });
    res.json({ incidents });
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
    });
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
            'decision (the actor is always the token identity; send only an optional reason)',
            body.error,
          );
        }
        const { identity } = principalOf(res);
        const decision = {
          actor: identity,
          via: 'api',
          ...(body.data.reason ? { reason: body.data.reason } : {}),
        };
        let result: DecisionResult;
        try {
          result = await bounded(() => sendDecision(client, id.data, verb, decision));
        } catch (err) {
          const handle = client.workflow.getHandle(id.data);
          throw await closedOr(err, () => bounded(() => handle.describe()));
        }
        // The update answers with the decision only; GET /incidents/:id has the whole state.
        res.json({ accepted: true, decision: verb, actor: identity, incident: result });
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
