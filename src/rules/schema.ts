import { z } from 'zod';
import { OWN_CREDENTIALS } from '../secrets/reference.js';
import { CONDITION_LIMITS } from './condition.js';
import { checkRule, RULE_LIMITS, type RuleDefinition } from './rule.js';
import { RULE_CHANNELS } from './targets.js';

/**
 * A rule as the API takes it (seed 001's body). The shape is zod's; the meaning (the condition parses,
 * every recipient fits a channel) is checkRule's, which the rules workflow runs again on every change,
 * so the two cannot disagree. A bad condition's message says at which column it stops parsing.
 */
export const ruleBodySchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(RULE_LIMITS.nameChars)
      .meta({
        description: 'Unique; a POST with an existing name replaces that rule.',
        examples: ['Checkout critical'],
      }),
    condition: z
      .string()
      .min(1)
      .max(CONDITION_LIMITS.chars)
      .meta({
        description:
          "Over the incident's labels: ==, !=, in [..], not in [..], AND/OR/NOT (&&, ||, !), parentheses. See docs/rules.md.",
        examples: ['severity == "critical" AND service == "checkout"'],
      }),
    escalation: z
      .object({
        delay: z.union([
          z
            .number()
            .int()
            .min(0)
            .max(RULE_LIMITS.maxDelayMs / 1000)
            .meta({ description: 'Seconds.' }),
          z.string().max(32).meta({ description: 'A duration such as 5m or 1h30m.' }),
        ]),
        channels: z.array(z.enum(RULE_CHANNELS)).min(1).max(RULE_LIMITS.channels),
        recipients: z
          .array(z.string().min(1).max(RULE_LIMITS.recipientChars))
          .max(RULE_LIMITS.recipients)
          .default([])
          .meta({
            description:
              'Each goes to the listed channel whose form it has (e-mail address, Slack channel, URL or env:NAME, rotation name), or to the one named as channel:recipient.',
          }),
      })
      .strict(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    for (const problem of checkRule(rule))
      ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    rule.escalation.recipients.forEach((r, index) => {
      const env = /(?:^|:)env:([A-Za-z0-9_]+)$/.exec(r)?.[1];
      if (env && OWN_CREDENTIALS.has(env))
        ctx.addIssue({
          code: 'custom',
          path: ['escalation', 'recipients', index],
          message: "a rule cannot send Steadfast's own credentials; name the variable that holds the URL",
        });
    });
  })
  .meta({ id: 'EscalationRuleInput' });

export type RuleBody = z.output<typeof ruleBodySchema> & RuleDefinition;

/** Channels that need settings the deployment lacks, so a rule using them would never be delivered. */
export function unconfiguredChannels(
  rule: RuleDefinition,
  configured: { slack: boolean; email: boolean; rotation: boolean },
): string[] {
  const why: Record<string, string | undefined> = {
    slack: configured.slack ? undefined : 'slack needs SLACK_BOT_TOKEN',
    email: configured.email ? undefined : 'email needs SMTP_HOST and SMTP_FROM',
    rotation: configured.rotation ? undefined : 'rotation needs STEADFAST_ONCALL_FILE',
  };
  return rule.escalation.channels.flatMap((c) => why[c] ?? []);
}
