import type { Client } from '@temporalio/client';
import { entityHandle } from '../incidents/entity.js';
import type { RuleDefinition, StoredRule } from './rule.js';
import {
  deleteRuleUpdate,
  escalationRulesWorkflow,
  putRuleUpdate,
  rulesStateQuery,
  rulesWorkflowId,
  type RulesState,
} from '../workflows/rules.js';

/** The escalation rules of one task queue, as the API and the activities use them. */
export interface RulesClient {
  put(actor: string, rule: RuleDefinition): Promise<{ rule: StoredRule; action: 'created' | 'replaced' }>;
  delete(actor: string, name: string): Promise<{ deleted: string }>;
  /** The rules and their audit; empty when no rule was ever written. */
  state(): Promise<RulesState>;
}

/**
 * Changes go through update-with-start, so the first rule ever written starts the workflow; reads are a
 * query, and a workflow never started means no rules. It runs on the incidents' task queue.
 */
export function rulesClient(client: Client, taskQueue: string): RulesClient {
  const rules = entityHandle(client, escalationRulesWorkflow, rulesWorkflowId(taskQueue), taskQueue);
  return {
    put: (actor, rule) => rules.update(putRuleUpdate, { actor, rule }),
    delete: (actor, name) => rules.update(deleteRuleUpdate, { actor, name }),
    state: () => rules.query(rulesStateQuery, { rules: [], audit: [] } satisfies RulesState),
  };
}

/** How activities read the rules: one bounded query, so a stuck rules workflow cannot hold an incident up. */
export const rulesReader =
  (client: Client, timeoutMs = 5000) =>
  async (taskQueue: string): Promise<StoredRule[]> =>
    (await client.withDeadline(Date.now() + timeoutMs, () => rulesClient(client, taskQueue).state())).rules;
