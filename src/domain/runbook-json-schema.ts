import { z } from 'zod';
import { runbookSchema } from './runbook.js';

/**
 * The published JSON Schema of a runbook file, generated from the same zod definitions the product
 * validates with, so editors and CI checks can never drift from what the product accepts. Rules that
 * JSON Schema cannot express (a duration's grammar beyond its pattern, min ≤ max, auto-approve only
 * when low-risk) are still enforced by `npm run runbooks:check`.
 */
export function runbookJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(runbookSchema, {
    io: 'input',
    target: 'draft-2020-12',
    // Sizes and durations are read through transforms; their input side is what a file holds.
    unrepresentable: 'any',
  });
  return {
    $schema: generated['$schema'],
    $id: 'https://github.com/steadfast-aiops/steadfast/blob/main/runbooks/schema.json',
    title: 'Steadfast runbook',
    description:
      'A remediation runbook: when it matches, what it changes (typed actions), who approves, how it escalates, which guards hold and how the fix is verified.',
    ...Object.fromEntries(Object.entries(generated).filter(([key]) => key !== '$schema')),
  };
}

/** The schema as the file in runbooks/ holds it. */
export function runbookJsonSchemaText(): string {
  return `${JSON.stringify(runbookJsonSchema(), null, 2)}\n`;
}
