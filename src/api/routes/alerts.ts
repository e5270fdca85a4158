import { Router } from 'express';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { z } from 'zod';
import {
  alertFilterSchema,
  findAlert,
  InvalidCursor,
  listAlerts,
  type AlertSource,
  type HeldAlert,
} from '../../incidents/alerts.js';
import { requireRole, type TokenStore } from '../auth.js';
import { HttpError, invalidInput } from '../errors.js';
import type { alertListResponseSchema, alertResponseSchema } from '../schemas/alerts.js';
import { queryInt } from '../query-params.js';

/** gRPC's INVALID_ARGUMENT: how Temporal refuses a page token it did not make. */
const INVALID_ARGUMENT = 3;

export const alertListQuerySchema = alertFilterSchema
  .extend({
    limit: queryInt(1, 500, 100),
    cursor: z.string().max(12_000).optional(),
  })
  .strict();

/** Filters a fingerprint look-up may narrow its search with. */
export const alertLookupQuerySchema = alertFilterSchema.omit({ status: true }).strict();

export const fingerprintSchema = z
  .string()
  .min(1)
  .max(128)
  .refine((s) => ![...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), {
    message: 'no control characters',
  });

export interface AlertRoutesDeps {
  client: Client;
  tokens: TokenStore;
  temporalTimeoutMs: number;
  workflowUrl: (id: string) => string;
}

/** Alerts as the incidents that hold them know them: GET /alerts and GET /alerts/:fingerprint. */
export function alertRoutes(deps: AlertRoutesDeps): Router {
  const router = Router();
  const source: AlertSource = {
    client: deps.client,
    bounded: (fn) => deps.client.withDeadline(Date.now() + deps.temporalTimeoutMs, fn),
    budgetMs: deps.temporalTimeoutMs,
    cursorKey: deps.tokens.derivedKey('steadfast alert-list cursor'),
  };
  const linked = (a: HeldAlert) => ({ ...a, temporalUrl: deps.workflowUrl(a.incidentId) });

  router.get('/alerts', requireRole(deps.tokens, 'read'), async (req, res) => {
    const parsed = alertListQuerySchema.safeParse(req.query);
    if (!parsed.success) throw invalidInput('alert filter', parsed.error);
    const { limit, cursor, ...filter } = parsed.data;
    const page = await listAlerts(source, filter, { limit, ...(cursor ? { cursor } : {}) }).catch(
      (err: unknown) => {
        // Temporal refuses a page token it did not make: the cursor was not ours.
        if (
          err instanceof InvalidCursor ||
          (cursor && isGrpcServiceError(err) && Number(err.code) === INVALID_ARGUMENT)
        )
          throw new HttpError(400, 'InvalidCursor', new InvalidCursor().message);
        throw err;
      },
    );
    const body: z.input<typeof alertListResponseSchema> = {
      alerts: page.alerts.map(linked),
      nextCursor: page.nextCursor,
      unanswered: page.unanswered,
    };
    res.json(body);
  });

  router.get('/alerts/:fingerprint', requireRole(deps.tokens, 'read'), async (req, res) => {
    const fingerprint = fingerprintSchema.safeParse(req.params['fingerprint']);
    if (!fingerprint.success) throw invalidInput('fingerprint', fingerprint.error);
    const filter = alertLookupQuerySchema.safeParse(req.query);
    if (!filter.success) throw invalidInput('alert filter', filter.error);
    const found = await findAlert(source, fingerprint.data, filter.data);
    if (found.alerts.length === 0) {
      throw new HttpError(
        404,
        'AlertNotFound',
        `no incident ${found.complete ? '' : `among the ${found.read} latest read `}holds alert ${fingerprint.data}` +
          (found.unanswered.length > 0
            ? ` (${found.unanswered.length} could not be read: no worker answered)`
            : '') +
          (found.complete ? '' : ': narrow the search with service or since'),
      );
    }
    const body: z.input<typeof alertResponseSchema> = {
      fingerprint: fingerprint.data,
      alerts: found.alerts.map(linked),
      complete: found.complete,
      unanswered: found.unanswered,
    };
    res.json(body);
  });
  return router;
}
