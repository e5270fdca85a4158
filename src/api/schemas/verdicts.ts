import { z } from 'zod';
import { VERDICTS } from '../../verdicts/verdict.js';
import { timestamp } from './common.js';

/** Verdicts and the noise summary, as the API answers them (src/api/routes/verdicts.ts, src/verdicts/). */

const verdictKind = z.enum(VERDICTS);

export const personVerdictSchema = z
  .object({
    verdict: verdictKind,
    duplicateOf: z.string().optional(),
    actor: z.string().meta({ description: "The token's identity (or the Slack user) that gave it." }),
    via: z.string().meta({ description: 'api, slack or console.' }),
    note: z.string().optional(),
    at: timestamp,
  })
  .meta({ id: 'PersonVerdict' });

export const effectiveVerdictSchema = z
  .object({
    verdict: verdictKind.nullable(),
    source: z.enum(['person', 'evidence']).nullable().meta({
      description:
        "Whose verdict it is: a person's always wins over the evidence; null when neither has one.",
    }),
    duplicateOf: z.string().optional(),
    reason: z.string(),
  })
  .meta({ id: 'EffectiveVerdict' });

export const evidenceVerdictSchema = z
  .object({ verdict: z.enum(['actionable', 'noise']).nullable(), reason: z.string() })
  .meta({ id: 'EvidenceVerdict' });

export const incidentVerdictResponseSchema = z
  .object({
    incidentId: z.string(),
    changed: z.boolean().meta({
      description: 'False when the same person sent the same verdict and note again: nothing was recorded.',
    }),
    verdict: effectiveVerdictSchema,
    person: personVerdictSchema.nullable(),
    replaced: z.array(personVerdictSchema).meta({ description: 'Earlier verdicts by people, oldest first.' }),
    evidence: evidenceVerdictSchema.nullable().meta({ description: 'Filed when the incident closed.' }),
  })
  .meta({ id: 'IncidentVerdict' });

const flaggedSchema = z
  .object({
    kind: z.enum(['alertname', 'service']),
    name: z.string(),
    decided: z.number().int(),
    noise: z.number().int(),
    share: z.number(),
  })
  .meta({ id: 'NoisySource' });

export const verdictSummarySchema = z
  .object({
    from: timestamp,
    to: timestamp,
    counts: z.object({
      actionable: z.number().int(),
      noise: z.number().int(),
      duplicate: z.number().int(),
      none: z.number().int(),
    }),
    bySource: z.object({ person: z.number().int(), evidence: z.number().int() }),
    noiseShare: z.number().nullable().meta({ description: 'noise / (actionable + noise).' }),
    alertsPerIncident: z.number().nullable(),
    fatigue: z
      .object({
        score: z.number().meta({ description: 'Weighted pages per on-call hour (docs/verdicts.md).' }),
        pages: z.number().int(),
        weightedPages: z.number(),
        onCallHours: z.number(),
        byBand: z.object({ working: z.number().int(), offHours: z.number().int(), night: z.number().int() }),
        timeZone: z.string(),
      })
      .meta({ id: 'AlertFatigue' }),
    flagged: z.array(flaggedSchema).meta({ description: 'Rules and services that keep paging for nothing.' }),
    incidents: z.array(
      z.object({
        incidentId: z.string(),
        service: z.string(),
        alertName: z.string(),
        openedAt: timestamp,
        closedAt: timestamp.optional(),
        alerts: z.number().int().optional(),
        verdict: effectiveVerdictSchema,
      }),
    ),
    pagesTruncated: z.boolean().meta({ description: 'More than 10,000 incidents opened in the window.' }),
  })
  .meta({ id: 'VerdictSummary' });
