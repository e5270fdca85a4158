import { z } from 'zod';
import { temporalUrl } from './common.js';
import { alertSchema } from './incident.js';

/** An alert with the incident that holds it (see src/incidents/alerts.ts). */
export const heldAlertSchema = alertSchema
  .extend({
    incidentId: z.string(),
    incidentStatus: z.enum(['open', 'closed']),
    temporalUrl,
  })
  .meta({ id: 'HeldAlert' });

export const alertListResponseSchema = z.object({
  alerts: z.array(heldAlertSchema),
  nextCursor: z.string().nullable().meta({
    description: 'Pass it back as `cursor`, with the same filters, for the next page; null at the end.',
  }),
  unanswered: z.array(z.string()).meta({
    description:
      'Incidents whose alerts could not be read (no worker answered their state query in time): what the answer could not see.',
  }),
});

export const alertResponseSchema = z.object({
  fingerprint: z.string(),
  alerts: z.array(heldAlertSchema).meta({ description: 'Each incident holding the alert, newest first.' }),
  complete: z.boolean().meta({
    description: 'Whether every incident the filters concern was read (at most 50 are, per call).',
  }),
  unanswered: z.array(z.string()).meta({
    description:
      'Incidents whose alerts could not be read (no worker answered their state query in time): what the answer could not see.',
  }),
});
