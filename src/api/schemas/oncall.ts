import { z } from 'zod';
import { timestamp } from './common.js';

/** Who is on call, as GET /api/v1/oncall answers (src/api/routes/oncall.ts). */

const personSchema = z
  .object({
    name: z.string(),
    slack: z
      .string()
      .optional()
      .meta({ description: 'The Slack user ID the bot sends a direct message to.' }),
    email: z.string().optional(),
  })
  .meta({ id: 'OncallPerson' });

export const rotationAnswerSchema = z
  .object({
    rotation: z.string(),
    timezone: z.string(),
    source: z.enum(['shifts', 'ical']).meta({
      description: 'shifts: members in turn, handing over at a local time; ical: an iCalendar file.',
    }),
    current: z
      .object({
        person: personSchema,
        since: timestamp
          .optional()
          .meta({ description: 'When this person took over; absent if more than 35 days ago.' }),
        until: timestamp
          .optional()
          .meta({ description: 'When the next person takes over; absent if nobody does within 400 days.' }),
        override: z
          .object({ reason: z.string().optional() })
          .optional()
          .meta({ description: 'Present when an override puts this person on call.' }),
      })
      .nullable()
      .meta({
        description: 'Null when nobody is on call (before a rotation starts, or a gap in its calendar).',
      }),
    next: z.object({ person: personSchema, from: timestamp }).nullable(),
  })
  .meta({ id: 'RotationOnCall' });

export const oncallResponseSchema = z.object({
  at: timestamp.meta({ description: 'The instant asked about: now, or the at parameter.' }),
  configured: z.boolean().meta({ description: 'Whether STEADFAST_ONCALL_FILE is set.' }),
  rotations: z.array(rotationAnswerSchema),
});
