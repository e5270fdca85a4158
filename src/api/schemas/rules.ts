import { z } from 'zod';
import { timestamp } from './common.js';

/** Escalation rules as the API shows them (src/api/routes/rules.ts). */

export const ruleViewSchema = z
  .object({
    name: z.string(),
    condition: z.string(),
    escalation: z.object({
      delay: z.union([z.number(), z.string()]),
      channels: z.array(z.string()),
      recipients: z.array(z.string()).meta({
        description: 'As written, except a URL, which shows its origin only (its path is its secret).',
      }),
    }),
    createdBy: z.string(),
    createdAt: timestamp,
    updatedBy: z.string(),
    updatedAt: timestamp,
  })
  .meta({ id: 'EscalationRule' });

export const ruleAuditSchema = z
  .object({
    at: timestamp,
    actor: z.string().meta({ description: 'The identity of the token that made the change.' }),
    action: z.enum(['created', 'replaced', 'deleted']),
    rule: z.string(),
    definition: ruleViewSchema.pick({ name: true, condition: true, escalation: true }).optional(),
  })
  .meta({ id: 'EscalationRuleChange' });

export const ruleListResponseSchema = z.object({
  rules: z.array(ruleViewSchema),
  audit: z.array(ruleAuditSchema).meta({ description: 'The latest changes, newest first (at most 100).' }),
});

export const rulePutResponseSchema = z.object({
  rule: ruleViewSchema,
  action: z.enum(['created', 'replaced']),
});

export const ruleDeleteResponseSchema = z.object({ deleted: z.string() });
