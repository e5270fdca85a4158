import { describe, expect, it } from 'vitest';
import { escalationFor } from '../../src/domain/incident.js';
import { parseRunbook, planFromRunbook, type PlanDefaults } from '../../src/domain/runbook.js';

const FACTS = { alertName: 'Down', labels: { alertname: 'Down' } };
const DEFAULTS: PlanDefaults = { approvers: [], dryRun: false };

const runbook = (risk: 'low' | 'medium' | 'high', approval = '{ timeout: 5m }') =>
  parseRunbook(
    `runbooks/${risk}.yaml`,
    `title: t\nmatch: { alertnames: [Down] }\nrisk: ${risk}\napproval: ${approval}\nsteps:\n  - action: wait\n    duration: 1s\n`,
  );

describe('how a plan is approved (Recommendation.approval)', () => {
  it("when auto-approval is configured and the runbook is low risk, then the plan is approved at once, and escalates only after a guard refused, on the runbook's chain", () => {
    const plan = planFromRunbook(
      runbook('low', `{ timeout: 5m, escalation: [{ notify: [{ type: log }], wait: 1m }] }`),
      FACTS,
      { ...DEFAULTS, autoApproveLowRisk: true, escalationWebhookUrl: 'https://hooks.example/x' },
    );

    expect(plan.approval).toBe('immediate');
    expect(escalationFor(plan, 0)).toEqual({ timeoutMs: 0, levels: [], finalPolicy: 'auto-approve' });
    expect(escalationFor(plan, 1)).toEqual({
      timeoutMs: 300_000,
      levels: [{ notify: [{ type: 'log' }], waitMs: 60_000 }],
      finalPolicy: 'abort',
    });
  });

  it('when a plan approved at once has no levels of its own, then after a guard refused it the escalation webhook is told', () => {
    const plan = planFromRunbook(runbook('low'), FACTS, {
      ...DEFAULTS,
      autoApproveLowRisk: true,
      escalationWebhookUrl: 'https://hooks.example/x',
    });

    expect(escalationFor(plan, 1).levels).toEqual([
      { notify: [{ type: 'log' }, { type: 'webhook', url: 'https://hooks.example/x' }], waitMs: 300_000 },
    ]);
  });

  it('when auto-approval is configured but the runbook is medium or high risk, then people approve it', () => {
    for (const risk of ['medium', 'high'] as const) {
      const plan = planFromRunbook(runbook(risk), FACTS, { ...DEFAULTS, autoApproveLowRisk: true });

      expect(plan.approval).toBe('people');
      expect(plan.escalation.timeoutMs).toBe(300_000);
    }
  });

  it('when auto-approval is not configured, then people approve even a low-risk plan, whose final policy may still approve it', () => {
    const plan = planFromRunbook(
      runbook('low', '{ timeout: 5m, finalPolicy: auto-approve }'),
      FACTS,
      DEFAULTS,
    );

    expect(plan.approval).toBe('people');
    expect(plan.escalation).toEqual({ timeoutMs: 300_000, levels: [], finalPolicy: 'auto-approve' });
  });
});
