import { Router, type RequestHandler } from 'express';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics.js';
import { incidentFacts, IncidentUnknown, verdictLedger } from '../../verdicts/client.js';
import { watchVerdictGauges } from '../../verdicts/gauges.js';
import { DuplicateOfUnknown, giveVerdict, readSummary } from '../../verdicts/give.js';
import type { LedgerEntry } from '../../verdicts/ledger.js';
import { DEFAULT_SUMMARY, type SummaryOptions } from '../../verdicts/summary.js';
import { isTimeZone } from '../../domain/zone.js';
import { VERDICTS, verdictOf } from '../../verdicts/verdict.js';
import { principalOf, requireRole, type TokenStore } from '../auth.js';
import { HttpError, invalidInput } from '../errors.js';
import type { Body } from '../schemas/common.js';
import type { incidentVerdictResponseSchema, verdictSummarySchema } from '../schemas/verdicts.js';
import { idSchema } from './incidents.js';
import { queryInt, queryDecimal } from '../query-params.js';

export const verdictBodySchema = z
  .object({
    verdict: z.enum(VERDICTS),
    duplicateOf: idSchema
      .optional()
      .meta({ description: 'The incident this one duplicates (verdict duplicate).' }),
    note: z.string().min(1).max(2000).optional(),
    via: z
      .enum(['api', 'console'])
      .optional()
      .meta({ description: 'The surface it was given from (default api); the console sends console.' }),
  })
  .strict()
  .refine((b) => (b.verdict === 'duplicate') === (b.duplicateOf !== undefined), {
    message: 'duplicateOf is required with the verdict duplicate, and only with it',
    path: ['duplicateOf'],
  });

export const verdictSummaryQuerySchema = z
  .object({
    days: queryInt(1, 30, 7),
    timeZone: z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Europe/Paris').default('UTC'),
    minVerdicts: queryInt(1, 1000, DEFAULT_SUMMARY.noisy.minVerdicts),
    noiseShare: queryDecimal(0, 1, DEFAULT_SUMMARY.noisy.noiseShare),
    limit: queryInt(0, 500, 100),
  })
  .strict();

export interface VerdictRoutesDeps {
  client: Client;
  tokens: TokenStore;
  metrics: Metrics;
  logger: Logger;
  json: RequestHandler;
  temporalTimeoutMs: number;
  taskQueue: string;
}

const answer = (incidentId: string, entry: LedgerEntry | undefined, changed: boolean) =>
  ({
    incidentId,
    changed,
    verdict: verdictOf(entry ?? {}),
    person: entry?.person ?? null,
    replaced: entry?.replaced ?? [],
    evidence: entry?.evidence ?? null,
  }) satisfies Body<typeof incidentVerdictResponseSchema>;

/** Verdicts on incidents (people's, and the evidence's at close) and the noise summary. */
export function verdictRoutes(deps: VerdictRoutesDeps): Router {
  const router = Router();
  const { client, taskQueue } = deps;
  const bounded = <T>(fn: () => Promise<T>): Promise<T> =>
    client.withDeadline(Date.now() + deps.temporalTimeoutMs, fn);
  watchVerdictGauges(deps.metrics, () => bounded(() => readSummary({ client, taskQueue })), deps.logger);

  router.post('/incidents/:id/verdict', requireRole(deps.tokens, 'approve'), deps.json, async (req, res) => {
    const id = idSchema.safeParse(req.params['id']);
    if (!id.success) throw invalidInput('incident ID', id.error);
    const body = verdictBodySchema.safeParse(req.body ?? {});
    if (!body.success) {
      throw invalidInput(
        'verdict (send verdict: actionable, noise or duplicate with duplicateOf; an optional note)',
        body.error,
      );
    }
    if (body.data.duplicateOf === id.data) {
      throw new HttpError(400, 'InvalidInput', 'invalid verdict: an incident cannot duplicate itself');
    }
    const { identity } = principalOf(res);
    const result = await bounded(() =>
      giveVerdict(
        { client, taskQueue, metrics: deps.metrics },
        { incidentId: id.data, ...body.data, actor: identity, via: body.data.via ?? 'api' },
      ),
    ).catch(refusal);
    res.json(answer(id.data, result.entry, result.changed));
  });

  router.get('/incidents/:id/verdict', requireRole(deps.tokens, 'read'), async (req, res) => {
    const id = idSchema.safeParse(req.params['id']);
    if (!id.success) throw invalidInput('incident ID', id.error);
    await bounded(() => incidentFacts(client, id.data)).catch(refusal);
    const ledger = await bounded(() => verdictLedger(client, taskQueue).read());
    res.json(answer(id.data, ledger.entries[id.data], false));
  });

  router.get('/verdicts', requireRole(deps.tokens, 'read'), async (req, res) => {
    const query = verdictSummaryQuerySchema.safeParse(req.query);
    if (!query.success) throw invalidInput('summary query', query.error);
    const { days, timeZone, minVerdicts, noiseShare, limit } = query.data;
    const options: SummaryOptions = {
      windowMs: days * 86_400_000,
      timeZone,
      noisy: { minVerdicts, noiseShare },
    };
    const summary = await bounded(() => readSummary({ client, taskQueue }, options));
    res.json({ ...summary, incidents: summary.incidents.slice(0, limit) } satisfies Body<
      typeof verdictSummarySchema
    >);
  });
  return router;
}

/** The verdict surfaces' errors as HTTP answers; anything else goes on to the central handler. */
function refusal(err: unknown): never {
  if (err instanceof IncidentUnknown) throw new HttpError(404, 'IncidentNotFound', 'no such incident');
  if (err instanceof DuplicateOfUnknown)
    throw new HttpError(400, 'InvalidInput', `invalid verdict: ${err.message}`);
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    throw new HttpError(400, err.cause.type ?? 'InvalidVerdict', err.cause.message);
  }
  throw err;
}
