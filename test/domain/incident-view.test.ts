import { describe, expect, it } from 'vitest';
import type { ApprovalRecord, IncidentState, Recommendation } from '../../src/domain/incident.js';
import {
  awaitingDecision,
  currentDecision,
  riskOf,
  stageStrip,
  summarize,
} from '../../src/domain/incident-view.js';
import { incidentState } from '../support/incident.js';

const plan = { title: 'Restart', risk: 'low' } as Recommendation;
const approved: ApprovalRecord = {
  actor: 'alice',
  via: 'slack',
  decision: 'approved',
  at: '2026-11-30T00:00:01Z',
};

const state = (over: Partial<IncidentState>): IncidentState =>
  incidentState({ stage: 'approve', recommendation: plan, ...over });

describe('the incident view every surface reads', () => {
  it('a plan waits for a decision until someone approves in the current round', () => {
    expect(awaitingDecision(state({}))).toBe(true);
    expect(awaitingDecision(state({ approvals: [approved] }))).toBe(false);
    expect(currentDecision(state({ approvals: [approved] }))?.actor).toBe('alice');
  });

  it('after a guard refusal (round 1) the first approval no longer counts: the plan waits again', () => {
    const back = state({ approvals: [approved, { ...approved, decision: 'acknowledged' }], round: 1 });
    expect(currentDecision(back)).toBeUndefined();
    expect(awaitingDecision(back)).toBe(true);
    expect(summarize(back)).toMatchObject({ awaitingDecision: true });
    expect(summarize(back).decision).toBeUndefined();
    const again = state({ approvals: [approved, { ...approved, actor: 'bob', round: 1 }], round: 1 });
    expect(currentDecision(again)?.actor).toBe('bob');
  });

  it('nothing waits outside the approval stage or without a plan', () => {
    expect(awaitingDecision(state({ stage: 'remediate' }))).toBe(false);
    expect(awaitingDecision(state({ recommendation: null }))).toBe(false);
  });

  it.each([
    ['info', 'low', 'low'],
    ['warning', 'low', 'medium'],
    ['info', 'medium', 'medium'],
    ['critical', 'low', 'critical'],
    ['info', 'high', 'critical'],
  ] as const)('severity %s with a %s-risk plan is %s', (severity, risk, light) => {
    expect(riskOf({ severity, recommendation: { ...plan, risk } })).toBe(light);
  });

  it('stages passed, skipped, current and to come, with when each was entered', () => {
    const strip = stageStrip({
      stage: 'approve',
      timeline: [
        { at: '2026-11-30T00:00:00Z', stage: 'collect', event: 'opened', message: '' },
        { at: '2026-11-30T00:00:02Z', stage: 'recommend', event: 'recommended', message: '' },
        { at: '2026-11-30T00:00:03Z', stage: 'approve', event: 'awaiting-approval', message: '' },
      ],
    });
    expect(strip.map((s) => s.status)).toEqual([
      'done',
      'skipped',
      'skipped',
      'done',
      'current',
      'pending',
      'pending',
      'pending',
    ]);
    expect(strip[3]?.enteredAt).toBe('2026-11-30T00:00:02Z');
  });
});
