import { Router } from 'express';
import { z } from 'zod';
import { findRotation, whoIsOnCall, type Oncall, type RotationAnswer } from '../../oncall/resolve.js';
import { OncallFileError, rotationNameSchema } from '../../oncall/schema.js';
import { requireRole, type TokenStore } from '../auth.js';
import { HttpError, invalidInput } from '../errors.js';
import type { Body } from '../schemas/common.js';
import type { oncallResponseSchema, rotationAnswerSchema } from '../schemas/oncall.js';

export const oncallQuerySchema = z
  .object({
    rotation: rotationNameSchema.optional().meta({ description: 'Only this rotation.' }),
    at: z.iso
      .datetime({ offset: true, error: 'an RFC 3339 time such as 2026-12-24T09:00:00Z' })
      .optional()
      .meta({ description: 'The instant to ask about, within a year of now; now when absent.' }),
  })
  .strict();

/**
 * How far from now `at` may ask. A calendar's repeating events are walked from their start to the
 * instant asked, synchronously: `at=9999-12-31` walked 50,000 occurrences of each and held the process
 * (API and worker alike) for seconds per request.
 */
export const ONCALL_REACH_MS = 366 * 24 * 3600 * 1000;

export interface OncallRoutesDeps {
  tokens: TokenStore;
  /** The on-call file as it is now (STEADFAST_ONCALL_FILE); absent when it is not set. */
  oncall?: () => Oncall;
  now?: () => number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function view(oncall: Oncall, answer: RotationAnswer): Body<typeof rotationAnswerSchema> {
  const { current, next } = answer;
  const rotation = findRotation(oncall, answer.rotation);
  return {
    rotation: answer.rotation,
    timezone: answer.timezone,
    source: rotation?.ical ? 'ical' : 'shifts',
    current: current
      ? {
          person: current.person,
          ...(current.since !== undefined ? { since: iso(current.since) } : {}),
          ...(current.until !== undefined ? { until: iso(current.until) } : {}),
          ...(current.override !== undefined
            ? { override: current.override ? { reason: current.override } : {} }
            : {}),
        }
      : null,
    next: next ? { person: next.person, from: iso(next.from) } : null,
  };
}

/** The on-call file as it is now; one that has never been valid answers 503 with its problems. */
function current(read: () => Oncall): Oncall {
  try {
    return read();
  } catch (err) {
    if (err instanceof OncallFileError) {
      throw new HttpError(503, 'OncallFileInvalid', `the on-call file is invalid: ${err.message}`);
    }
    throw err;
  }
}

/** Who is on call now (or `at`), and who is next, in every rotation of the on-call file or in one. */
export function oncallRoutes(deps: OncallRoutesDeps): Router {
  const router = Router();
  router.get('/oncall', requireRole(deps.tokens, 'read'), (req, res) => {
    const query = oncallQuerySchema.safeParse(req.query);
    if (!query.success) throw invalidInput('query', query.error);
    const now = (deps.now ?? Date.now)();
    const at = query.data.at !== undefined ? Date.parse(query.data.at) : now;
    if (Math.abs(at - now) > ONCALL_REACH_MS) {
      throw new HttpError(400, 'InvalidInput', 'invalid query: at: within a year of now');
    }
    if (!deps.oncall) {
      if (query.data.rotation !== undefined) {
        throw new HttpError(404, 'UnknownRotation', 'no on-call file is configured (STEADFAST_ONCALL_FILE)');
      }
      res.json({ at: iso(at), configured: false, rotations: [] } satisfies Body<typeof oncallResponseSchema>);
      return;
    }
    const oncall = current(deps.oncall);
    const name = query.data.rotation;
    const rotations = name === undefined ? oncall.rotations : [findRotation(oncall, name)];
    const answers = rotations.map((rotation) => {
      if (!rotation) throw new HttpError(404, 'UnknownRotation', `no rotation named "${name ?? ''}"`);
      return view(oncall, whoIsOnCall(oncall, rotation, at));
    });
    res.json({ at: iso(at), configured: true, rotations: answers } satisfies Body<
      typeof oncallResponseSchema
    >);
  });
  return router;
}
