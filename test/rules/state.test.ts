import { describe, expect, it } from 'vitest';
import { jsonLength } from '../../src/domain/utf8.js';
import { putRule, RULES_STATE_BYTES, type RulesState } from '../../src/workflows/rules.js';

describe("the rules workflow's state", () => {
  it('when a big rule is changed a thousand times, then the audit keeps its newest entries within its bytes', () => {
    const state: RulesState = { rules: [], audit: [] };
    const rule = (i: number) => ({
      name: 'Big',
      condition: `service == "${'s'.repeat(200)}${i}"`,
      escalation: {
        delay: 60,
        channels: ['webhook'],
        recipients: Array.from({ length: 50 }, (_, k) => `https://hooks.example/${'p'.repeat(1900)}/${k}`),
      },
    });
    for (let i = 0; i < 1_000; i++) putRule(state, { actor: 'alice', rule: rule(i) }, `t${i}`);
    // Before the byte bound: 1,000 entries of 100 KB, 100 MB carried into each new run.
    expect(jsonLength(state.audit)).toBeLessThanOrEqual(RULES_STATE_BYTES.audit);
    expect(state.audit.at(-1)?.at).toBe('t999');
    expect(state.rules).toHaveLength(1);
  });

  it('when the same rule is put again, then nothing changes and nothing is audited', () => {
    const state: RulesState = { rules: [], audit: [] };
    const rule = {
      name: 'R',
      condition: 'service == "a"',
      escalation: { delay: 60, channels: ['log'], recipients: [] },
    };
    putRule(state, { actor: 'alice', rule }, 't1');
    const again = putRule(
      state,
      { actor: 'bob', rule: { ...rule, escalation: { ...rule.escalation } } },
      't2',
    );
    expect(again.rule).toMatchObject({ updatedBy: 'alice', updatedAt: 't1' });
    expect(state.audit).toHaveLength(1);
  });
});
