import type { EscalationPlan } from '../domain/incident.js';
import type { RuleLevel } from './rule.js';

/**
 * A plan's escalation with the matching rules' levels merged in. A runbook's chain is relative (wait
 * `timeoutMs`, tell level 1, wait its `waitMs`, tell level 2 …, then the final policy); a rule's delay
 * is absolute, from the start of the wait. Both become moments on one clock, are sorted (the runbook's
 * level first at a tie), and are turned back into a chain. The final policy comes at the end of the
 * runbook's chain as before, or right after the last rule's level when that is later: a rule's
 * recipients are always told before the incident is aborted or approved by policy. Pure.
 */
export function mergeRuleLevels(plan: EscalationPlan, rules: readonly RuleLevel[]): EscalationPlan {
  if (rules.length === 0) return plan;
  const moments: { at: number; level: EscalationPlan['levels'][number] }[] = [];
  let at = plan.timeoutMs;
  for (const level of plan.levels) {
    moments.push({ at, level });
    at += level.waitMs;
  }
  const end = at;
  for (const rule of rules) {
    moments.push({ at: rule.delayMs, level: { notify: rule.notify, waitMs: 0, rule: rule.rule } });
  }
  // Array.prototype.sort is stable: runbook levels were pushed first, so they stay first at a tie.
  moments.sort((a, b) => a.at - b.at);
  const last = Math.max(end, moments.at(-1)?.at ?? end);
  return {
    ...plan,
    timeoutMs: moments[0]?.at ?? plan.timeoutMs,
    levels: moments.map((m, i) => ({ ...m.level, waitMs: (moments[i + 1]?.at ?? last) - m.at })),
  };
}
