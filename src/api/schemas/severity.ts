import { z } from 'zod';
import { timestamp } from './common.js';

/** The severity model's answers (src/api/routes/severity.ts, src/severity/). */

export const severityWordSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a lower-case word such as critical or warning');

export const severityCorrectionSchema = z.object({
  incidentId: z.string(),
  actor: z.string(),
  severity: z.string(),
  label: z.string().meta({ description: "What the incident's severity label said." }),
  reason: z.string().optional(),
  at: timestamp,
});

export const severityModelSchema = z.object({
  examples: z.array(z.object({ severity: z.string(), weight: z.number() })).meta({
    description: 'How much the model was taught of each severity (a correction weighs 3, an outcome 1).',
  }),
  features: z.number().int().nonnegative(),
  lessons: z.number().int().nonnegative(),
  corrections: z.array(severityCorrectionSchema).meta({ description: 'The 20 latest corrections.' }),
});

export const severityCorrectionResponseSchema = z.object({
  learned: z.literal(true),
  incidentId: z.string(),
  severity: z.string(),
  label: z.string(),
  model: severityModelSchema,
});
