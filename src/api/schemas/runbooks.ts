import { z } from 'zod';
import { runbookSchema } from '../../domain/runbook.js';

/** Runbooks as the API shows them (src/api/routes/runbooks.ts). */

export const runbookProblemSchema = z
  .object({
    file: z.string(),
    line: z.number().int().min(1),
    field: z.string(),
    message: z.string(),
  })
  .meta({ id: 'RunbookProblem' });

export const runbookViewSchema = z
  .object({
    id: z.string(),
    file: z.string().meta({ description: 'The file name within the runbooks folder.' }),
    definition: runbookSchema.meta({
      description:
        'The runbook with its defaults applied (see runbooks/schema.json). Secrets appear as references; a webhook URL written as text shows its origin only.',
    }),
  })
  .meta({ id: 'Runbook' });

export const runbookListResponseSchema = z.object({
  runbooks: z.array(runbookViewSchema),
  invalid: z.array(runbookProblemSchema).meta({
    description: 'Problems of the files that were skipped, as npm run runbooks:check reports them.',
  }),
});

export const runbookValidationSchema = z.object({
  valid: z.boolean(),
  runbook: runbookViewSchema.optional(),
  problems: z.array(runbookProblemSchema),
  warnings: z.array(z.string()),
});
