import type { EscalationTarget } from '../domain/incident.js';
import { parseDuration } from '../domain/duration.js';
import { ConditionError, evaluate, parseCondition } from './condition.js';
import { ruleTargets } from './targets.js';

/**
 * An escalation rule in seed 001's shape: when an incident's labels satisfy `condition`, `recipients`
 * on `channels` are told `delay` after the incident starts waiting for people. Pure and free of zod:
 * the rules workflow checks every change with checkRule, the API (schema.ts) with the same function.
 */
export interface RuleDefinition {
  name: string;
  condition: string;
  escalation: {
    /** Seconds (seed 001 writes 300), or a duration such as 5m. */
    delay: number | string;
    channels: string[];
    recipients: string[];
  };
}

/** A stored rule: its definition and who last wrote it, when. */
export interface StoredRule extends RuleDefinition {
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
}

export const RULE_LIMITS = {
  rules: 200,
  nameChars: 100,
  channels: 7,
  recipients: 50,
  recipientChars: 2048,
  maxDelayMs: 7 * 86_400_000,
} as const;

const NAME = /^[A-Za-z0-9][A-Za-z0-9 _.:-]*$/;

/** A problem with one field of a rule; a condition's carries the column where it stops parsing. */
export interface RuleProblem {
  path: (string | number)[];
  message: string;
  column?: number;
}

/** A delay in milliseconds, or undefined when it is neither whole seconds nor a duration within 7 days. */
export function delayMs(delay: unknown): number | undefined {
  const ms =
    typeof delay === 'number' && Number.isInteger(delay) && delay >= 0
      ? delay * 1000
      : typeof delay === 'string'
        ? parseDuration(delay)
        : undefined;
  return ms !== undefined && ms <= RULE_LIMITS.maxDelayMs ? ms : undefined;
}

const isTextList = (v: unknown, max: number, chars: number): v is string[] =>
  Array.isArray(v) &&
  v.length <= max &&
  v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= chars);

/** Every problem of a rule; none means it can be stored and applied. */
export function checkRule(rule: RuleDefinition): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const { name, condition, escalation } = rule;
  if (
    typeof name !== 'string' ||
    name.length > RULE_LIMITS.nameChars ||
    !NAME.test(name) ||
    name.trim() !== name
  )
    problems.push({
      path: ['name'],
      message: `1 to ${RULE_LIMITS.nameChars} letters, digits, spaces and _ . : -`,
    });
  try {
    parseCondition(condition);
  } catch (err) {
    if (!(err instanceof ConditionError)) throw err;
    problems.push({ path: ['condition'], message: err.message, column: err.column });
  }
  if (typeof escalation !== 'object' || escalation === null)
    return [...problems, { path: ['escalation'], message: 'an object with delay, channels and recipients' }];
  if (delayMs(escalation.delay) === undefined)
    problems.push({
      path: ['escalation', 'delay'],
      message: 'whole seconds (300) or a duration (5m), at most 7 days',
    });
  if (!isTextList(escalation.channels, RULE_LIMITS.channels, 20) || escalation.channels.length === 0)
    problems.push({
      path: ['escalation', 'channels'],
      message: `1 to ${RULE_LIMITS.channels} channel names`,
    });
  else if (!isTextList(escalation.recipients, RULE_LIMITS.recipients, RULE_LIMITS.recipientChars))
    problems.push({
      path: ['escalation', 'recipients'],
      message: `at most ${RULE_LIMITS.recipients} recipients of 1 to ${RULE_LIMITS.recipientChars} characters`,
    });
  else {
    const mapped = ruleTargets(escalation.channels, escalation.recipients);
    if ('problems' in mapped) {
      for (const p of mapped.problems)
        problems.push({
          path: ['escalation', p.field, ...(p.index !== undefined ? [p.index] : [])],
          message: p.message,
        });
    }
  }
  return problems;
}

/** One escalation a matching rule adds: whom to tell, and when after the wait for people begins. */
export interface RuleLevel {
  rule: string;
  delayMs: number;
  notify: EscalationTarget[];
}

/**
 * The levels of the rules whose conditions the labels satisfy, earliest first (ties in the rules'
 * order). A stored rule that no longer checks (it cannot: the workflow refuses such changes) is skipped.
 */
export function matchingLevels(
  rules: readonly RuleDefinition[],
  labels: Readonly<Record<string, string>>,
): RuleLevel[] {
  const levels: RuleLevel[] = [];
  for (const rule of rules) {
    let matches: boolean;
    try {
      matches = evaluate(parseCondition(rule.condition), labels);
    } catch {
      continue;
    }
    const mapped = ruleTargets(rule.escalation.channels, rule.escalation.recipients);
    const ms = delayMs(rule.escalation.delay);
    if (matches && 'targets' in mapped && ms !== undefined)
      levels.push({ rule: rule.name, delayMs: ms, notify: mapped.targets });
  }
  return levels.sort((a, b) => a.delayMs - b.delayMs);
}
