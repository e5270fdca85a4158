import { describe, expect, it } from 'vitest';
import type {
  ActionRecord,
  ApprovalRecord,
  IncidentState,
  Recommendation,
} from '../../src/domain/incident.js';
import {
  awaitingDecision,
  currentDecision,
  riskOf,
  stageStrip,
  stillInEffect,
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

  it('after a guard refusal, it names the steps of the last run that still stand, which approving again runs again', () => {
    const step = (index: number, description: string, status: ActionRecord['status']): ActionRecord => ({
      index,
      description,
      status,
      startedAt: '2026-11-30T00:00:02Z',
    });
    const actions = [
      // Round 0: the restart stood, the resize was undone, the second resize was refused.
      step(0, 'restart container web', 'done'),
      step(1, 'set memory of web to 96Mi', 'rolled-back'),
      step(2, 'set memory of web to 128Mi', 'refused'),
    ];
    const back = state({ approvals: [approved], round: 1, actions });
    expect(stillInEffect(back).map((a) => a.description)).toEqual(['restart container web']);
    expect(summarize(back).runsAgain).toBe(
      'Already done and not undone: restart container web. ' +
        'Approving again runs the whole plan from its first step, these steps too.',
    );
    // A failed undo left its change standing too.
    const stuck = state({
      round: 1,
      actions: [step(0, 'restart container web', 'done'), step(1, 'resize', 'rollback-failed')],
    });
    expect(stillInEffect(stuck).map((a) => a.description)).toEqual(['restart container web', 'resize']);
    // Round 1 was refused at its first step: nothing of it stands, whatever round 0 left.
    const twice = state({ round: 2, actions: [...actions, step(0, 'restart container web', 'refused')] });
    expect(stillInEffect(twice)).toEqual([]);
    expect(summarize(twice).runsAgain).toBeUndefined();
    // Said only while the handed-back plan waits: not in round 0, nor once decided.
    expect(summarize(state({ actions })).runsAgain).toBeUndefined();
    const decided = state({ round: 1, actions, approvals: [{ ...approved, round: 1 }] });
    expect(summarize(decided).runsAgain).toBeUndefined();
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
