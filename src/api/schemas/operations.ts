import { z } from 'zod';
import { ROLES } from '../auth.js';
import { temporalUrl, timestamp } from './common.js';

/** Answers of the ingest, guard, identity, health and codec endpoints (see common.ts). */

export const ingestResponseSchema = z.object({
  incidents: z.array(
    z.object({
      incidentId: z.string().meta({
        description: "The incident that holds the alerts: the group's own, or the one it was merged into.",
      }),
      correlationKey: z.string(),
      status: z.enum(['accepted', 'no-open-incident', 'already-resolved']).meta({
        description:
          "accepted: opened or joined; no-open-incident: only resolved alerts and nothing open; already-resolved: its firing alerts were resolved in the incident's last run (late deliveries), so it was not opened again.",
      }),
      alerts: z.number().int(),
      mergedFrom: z.string().optional().meta({
        description: "The group's own incident, when it was merged into incidentId and the alerts followed.",
      }),
      url: temporalUrl,
    }),
  ),
});

export const guardResponseSchema = z.object({
  guard: z.object({
    paused: z.object({ actor: z.string(), reason: z.string(), at: timestamp }).nullable(),
    reservations: z
      .array(
        z.object({
          target: z.string(),
          action: z.string(),
          incidentId: z.string(),
          stepKey: z.string(),
          at: timestamp,
        }),
      )
      .meta({ description: 'The latest 200 actions the guards let through, newest first.' }),
  }),
});

export const meResponseSchema = z.object({ identity: z.string(), roles: z.array(z.enum(ROLES)) });

export const healthResponseSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  temporal: z
    .object({
      reachable: z.boolean(),
      latencyMs: z.number().optional(),
      reason: z.string().optional(),
    })
    .optional()
    .meta({ description: 'Only for a caller whose token has the read role.' }),
});

export const codecPayloadsSchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()), data: z.string() })),
});
