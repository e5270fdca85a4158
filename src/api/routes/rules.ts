import { Router, type RequestHandler } from 'express';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { rulesClient } from '../../rules/client.js';
import type { RuleDefinition, StoredRule } from '../../rules/rule.js';
import { ruleBodySchema, unconfiguredChannels } from '../../rules/schema.js';
import { REDACTED } from '../../secrets/plan.js';
import { RULE_LIMITS } from '../../rules/rule.js';
import { RULE_REFUSAL, type RuleAudit } from '../../workflows/rules.js';
import { principalOf, requireRole, type TokenStore } from '../auth.js';
import { HttpError, invalidInput } from '../errors.js';
import type { Body } from '../schemas/common.js';
import type { ruleListResponseSchema, rulePutResponseSchema, ruleViewSchema } from '../schemas/rules.js';

export const ruleNameParamSchema = z.string().min(1).max(RULE_LIMITS.nameChars);

export interface RuleRoutesDeps {
  client: Client;
  tokens: TokenStore;
  json: RequestHandler;
  temporalTimeoutMs: number;
  taskQueue: string;
  /** Which channels that need settings have them: a rule on a missing one is refused. */
  configured: { slack: boolean; email: boolean; rotation: boolean };
}

/** A URL recipient's path is its secret (as a runbook's webhook URL): only its origin is shown. */
function recipient(text: string): string {
  const url = /^(?:(webhook|teams|discord):)?(https?:\/\/[^/?#\s]+)[/?#]/i.exec(text);
  return url ? `${url[1] ? `${url[1]}:` : ''}${url[2]}/${REDACTED}` : text;
}

function definitionView(rule: RuleDefinition): RuleDefinition {
  return {
    name: rule.name,
    condition: rule.condition,
    escalation: { ...rule.escalation, recipients: rule.escalation.recipients.map(recipient) },
  };
}

const view = (rule: StoredRule): Body<typeof ruleViewSchema> => ({
  ...definitionView(rule),
  createdBy: rule.createdBy,
  createdAt: rule.createdAt,
  updatedBy: rule.updatedBy,
  updatedAt: rule.updatedAt,
});

const auditView = (entry: RuleAudit): Body<typeof ruleListResponseSchema>['audit'][number] => ({
  at: entry.at,
  actor: entry.actor,
  action: entry.action,
  rule: entry.rule,
  ...(entry.definition ? { definition: definitionView(entry.definition) } : {}),
});

const REFUSAL_STATUS: Record<string, number> = {
  [RULE_REFUSAL.invalid]: 400,
  [RULE_REFUSAL.notFound]: 404,
  [RULE_REFUSAL.tooMany]: 409,
};

/** The rules workflow's refusal as the HTTP answer it stands for; anything else goes to the error handler. */
function refused(err: unknown): never {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const status = REFUSAL_STATUS[err.cause.type ?? ''];
    if (status) throw new HttpError(status, err.cause.type ?? 'Refused', err.cause.message);
  }
  throw err;
}

/**
 * Escalation rules (docs/rules.md): read with the read role; written and deleted with approve, the role
 * that decides what happens to incidents. Every change is recorded with the token's identity.
 */
export function ruleRoutes(deps: RuleRoutesDeps): Router {
  const router = Router();
  const rules = rulesClient(deps.client, deps.taskQueue);
  const bounded = <T>(fn: () => Promise<T>): Promise<T> =>
    deps.client.withDeadline(Date.now() + deps.temporalTimeoutMs, fn);

  router.get('/rules', requireRole(deps.tokens, 'read'), async (_req, res) => {
    const state = await bounded(() => rules.state());
    const body: Body<typeof ruleListResponseSchema> = {
      rules: state.rules.map(view),
      audit: state.audit.slice(-100).reverse().map(auditView),
    };
    res.json(body);
  });

  router.post('/rules', requireRole(deps.tokens, 'approve'), deps.json, async (req, res) => {
    const parsed = ruleBodySchema.safeParse(req.body);
    if (!parsed.success) throw invalidInput('rule', parsed.error);
    const missing = unconfiguredChannels(parsed.data, deps.configured);
    if (missing.length > 0)
      throw new HttpError(400, 'ChannelNotConfigured', `channels not configured here: ${missing.join('; ')}`);
    const actor = principalOf(res).identity;
    const result = await bounded(() => rules.put(actor, parsed.data)).catch(refused);
    const body: Body<typeof rulePutResponseSchema> = { rule: view(result.rule), action: result.action };
    res.status(result.action === 'created' ? 201 : 200).json(body);
  });

  // The body, which a delete does not take, is read all the same: a delete whose request never arrives
  // whole (a body cut off, bad chunks) is refused before it acts, not answered 400 after it has.
  router.delete('/rules/:name', requireRole(deps.tokens, 'approve'), deps.json, async (req, res) => {
    const name = ruleNameParamSchema.safeParse(req.params['name']);
    if (!name.success) throw invalidInput('rule name', name.error);
    // Asked first, as a query: a delete is an update-with-start, so one refused for a name no rule has
    // started the rules workflow where none ran yet.
    const { rules: stored } = await bounded(() => rules.state());
    if (!stored.some((r) => r.name === name.data))
      throw new HttpError(404, RULE_REFUSAL.notFound, `no rule is named ${JSON.stringify(name.data)}`);
    const actor = principalOf(res).identity;
    res.json(await bounded(() => rules.delete(actor, name.data)).catch(refused));
  });

  return router;
}
