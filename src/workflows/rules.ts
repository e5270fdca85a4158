import { defineQuery, defineUpdate, setHandler } from '@temporalio/workflow';
import { refusal } from './refusal.js';
import { jsonLength, newestWithin } from '../domain/utf8.js';
import { rollOverWhenLong } from './entity.js';
import { checkRule, RULE_LIMITS, type RuleDefinition, type StoredRule } from '../rules/rule.js';

/** One set of escalation rules per task queue, as the remediation guard. */
export const rulesWorkflowId = (taskQueue: string): string => `escalation-rules-${taskQueue}`;

/** One change to the rules: who made it (the API token's identity), when, and what. */
export interface RuleAudit {
  at: string;
  actor: string;
  action: 'created' | 'replaced' | 'deleted';
  rule: string;
  /** The rule as written by this change; absent for a deletion. */
  definition?: RuleDefinition;
}

export interface RulesState {
  rules: StoredRule[];
  /** The newest changes, oldest first; the workflow's history holds every one of them. */
  audit: RuleAudit[];
}

export interface PutRuleRequest {
  actor: string;
  rule: RuleDefinition;
}

export const putRuleUpdate = defineUpdate<
  { rule: StoredRule; action: 'created' | 'replaced' },
  [PutRuleRequest]
>('putRule');
export const deleteRuleUpdate = defineUpdate<{ deleted: string }, [{ actor: string; name: string }]>(
  'deleteRule',
);
export const rulesStateQuery = defineQuery<RulesState>('rulesState');

/** The failure types of a refused change, which the API answers 400, 404 and 409. */
export const RULE_REFUSAL = {
  invalid: 'InvalidRule',
  notFound: 'RuleNotFound',
  tooMany: 'TooManyRules',
} as const;

const AUDIT_KEPT = 1_000;

/**
 * Bytes of JSON the rules, and the audit, may hold. The state travels whole into each new run, which
 * Temporal refuses past its payload limit; the counts alone allowed 200 rules of 100 KB and 1,000 audit
 * entries each holding a definition, and about 20 rules at the per-field limits jammed the workflow for
 * good (every task failed with "message too large"). A rule that would pass the first is refused; the
 * audit lets its oldest entries go.
 */
export const RULES_STATE_BYTES = { rules: 512 * 1024, audit: 512 * 1024 } as const;

const sameDefinition = (a: RuleDefinition, b: RuleDefinition): boolean =>
  JSON.stringify([a.name, a.condition, a.escalation]) === JSON.stringify([b.name, b.condition, b.escalation]);

/** Applies a checked rule: replaced in place when its name exists, else added. Pure. */
export function putRule(
  state: RulesState,
  request: PutRuleRequest,
  at: string,
): { rule: StoredRule; action: 'created' | 'replaced' } {
  const { actor, rule } = request;
  const definition: RuleDefinition = {
    name: rule.name,
    condition: rule.condition,
    escalation: {
      delay: rule.escalation.delay,
      channels: [...rule.escalation.channels],
      recipients: [...rule.escalation.recipients],
    },
  };
  const index = state.rules.findIndex((r) => r.name === rule.name);
  const before = state.rules[index];
  // The same rule sent again (a retried request) changes nothing and is not audited again.
  if (before && sameDefinition(before, definition)) return { rule: before, action: 'replaced' };
  const stored: StoredRule = before
    ? {
        ...definition,
        createdBy: before.createdBy,
        createdAt: before.createdAt,
        updatedBy: actor,
        updatedAt: at,
      }
    : { ...definition, createdBy: actor, createdAt: at, updatedBy: actor, updatedAt: at };
  if (before) state.rules[index] = stored;
  else state.rules.push(stored);
  const action = before ? 'replaced' : 'created';
  audit(state, { at, actor, action, rule: rule.name, definition });
  return { rule: stored, action };
}

function audit(state: RulesState, entry: RuleAudit): void {
  state.audit = newestWithin([...state.audit, entry].slice(-AUDIT_KEPT), RULES_STATE_BYTES.audit);
}

/** The rules' JSON once `rule` is put: the one it replaces no longer counts. */
function rulesBytesWith(state: RulesState, rule: RuleDefinition): number {
  const others = state.rules.filter((r) => r.name !== rule.name);
  // A stored rule adds who and when to its definition: a few hundred bytes at most.
  return jsonLength(others) + jsonLength(rule) + 512;
}

/**
 * The escalation rules, stored in the workflow's history: durable without a database, every change an
 * update whose validator refuses a bad rule before anything is written, and every change audited.
 * Handlers are synchronous, so changes apply one at a time. Rolls over before its history grows long.
 */
export async function escalationRulesWorkflow(carried?: RulesState): Promise<void> {
  const state: RulesState = carried ?? { rules: [], audit: [] };
  const now = (): string => new Date().toISOString();

  setHandler(putRuleUpdate, (request) => putRule(state, request, now()), {
    validator: (request: PutRuleRequest) => {
      validateActor(request?.actor);
      const rule: unknown = request?.rule;
      if (typeof rule !== 'object' || rule === null)
        throw refusal(RULE_REFUSAL.invalid, 'the rule must be an object');
      const problems = checkRule(rule as RuleDefinition);
      if (problems.length > 0)
        throw refusal(
          RULE_REFUSAL.invalid,
          problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; '),
        );
      const known = state.rules.some((r) => r.name === (rule as RuleDefinition).name);
      if (!known && state.rules.length >= RULE_LIMITS.rules)
        throw refusal(RULE_REFUSAL.tooMany, `at most ${RULE_LIMITS.rules} rules; delete one first`);
      const bytes = rulesBytesWith(state, rule as RuleDefinition);
      if (bytes > RULES_STATE_BYTES.rules)
        throw refusal(
          RULE_REFUSAL.tooMany,
          `the rules would hold ${Math.ceil(bytes / 1024)} KiB, more than ${RULES_STATE_BYTES.rules / 1024} KiB; delete or shorten one first`,
        );
    },
  });
  setHandler(
    deleteRuleUpdate,
    ({ actor, name }) => {
      state.rules = state.rules.filter((r) => r.name !== name);
      audit(state, { at: now(), actor, action: 'deleted', rule: name });
      return { deleted: name };
    },
    {
      validator: (request: { actor: string; name: string }) => {
        validateActor(request?.actor);
        if (!state.rules.some((r) => r.name === request.name))
          throw refusal(
            RULE_REFUSAL.notFound,
            `no rule is named ${JSON.stringify(String(request.name).slice(0, 100))}`,
          );
      },
    },
  );
  setHandler(rulesStateQuery, () => state);

  await rollOverWhenLong<typeof escalationRulesWorkflow>(state);
}

function validateActor(actor: unknown): void {
  if (typeof actor !== 'string' || actor.length === 0 || actor.length > 200)
    throw refusal(RULE_REFUSAL.invalid, 'actor must be text of 1 to 200 characters');
}
