import { Router, type RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { severityClient } from '../../severity/client.js';
import { correctionLesson } from '../../severity/lessons.js';
import { stateQuery } from '../../workflows/messages.js';
import { principalOf, requireRole, type TokenStore } from '../auth.js';
import { HttpError, invalidInput } from '../errors.js';
import type { Body } from '../schemas/common.js';
import {
  severityWordSchema,
  type severityCorrectionResponseSchema,
  type severityModelSchema,
} from '../schemas/severity.js';
import { idSchema } from './incidents.js';

export const severityCorrectionSchema = z
  .object({ severity: severityWordSchema, reason: z.string().max(2000).optional() })
  .strict();

export interface SeverityRoutesDeps {
  client: Client;
  tokens: TokenStore;
  json: RequestHandler;
  taskQueue: string;
  temporalTimeoutMs: number;
}

/**
 * People teach the severity model: a correction says what an incident's severity should have been. It
 * teaches the model only; the incident keeps its label (a label is what the alert's sender said, and
 * the incident's history records it).
 */
export function severityRoutes(deps: SeverityRoutesDeps): Router {
  const router = Router();
  const { client } = deps;
  const model = severityClient(client, deps.taskQueue);
  const bounded = <T>(fn: () => Promise<T>): Promise<T> =>
    client.withDeadline(Date.now() + deps.temporalTimeoutMs, fn);

  router.get('/severity', requireRole(deps.tokens, 'read'), async (_req, res) => {
    res.json((await bounded(() => model.summary())) satisfies Body<typeof severityModelSchema>);
  });

  router.post('/incidents/:id/severity', requireRole(deps.tokens, 'approve'), deps.json, async (req, res) => {
    const id = idSchema.safeParse(req.params['id']);
    if (!id.success) throw invalidInput('incident ID', id.error);
    const body = severityCorrectionSchema.safeParse(req.body ?? {});
    if (!body.success) throw invalidInput('severity correction', body.error);
    // Open or closed, the incident's state says which alert the correction is about.
    const state = await bounded(() => client.workflow.getHandle(id.data).query(stateQuery));
    const lesson = correctionLesson(state, body.data.severity);
    if (!lesson) throw new HttpError(409, 'NoAlert', 'the incident holds no alert to learn from');
    const correction = {
      incidentId: id.data,
      actor: principalOf(res).identity,
      severity: body.data.severity,
      label: state.severity,
      ...(body.data.reason ? { reason: body.data.reason } : {}),
      at: new Date().toISOString(),
    };
    const summary = await bounded(() => model.learn({ lesson, correction }));
    res.json({
      learned: true,
      incidentId: id.data,
      severity: body.data.severity,
      label: state.severity,
      model: summary,
    } satisfies Body<typeof severityCorrectionResponseSchema>);
  });
  return router;
}
