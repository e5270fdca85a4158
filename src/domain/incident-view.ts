import { STAGES, type ApprovalRecord, type IncidentState, type Stage } from './incident.js';

/**
 * Facts derived from an incident's state, each worked out here once for every surface: the workflow,
 * the API (which serves them to the console), Slack, reports and metrics. A surface that needs one of
 * them reads it from here rather than deciding again by its own rule.
 */

export type RiskLight = 'low' | 'medium' | 'critical';

const MEDIUM_SEVERITIES = new Set(['high', 'error', 'warning']);

/** The incident's risk light: the worse of its severity and its recommended runbook's risk. */
export function riskOf(state: Pick<IncidentState, 'severity' | 'recommendation'>): RiskLight {
  const runbook = state.recommendation?.risk;
  if (state.severity === 'critical' || runbook === 'high') return 'critical';
  if (MEDIUM_SEVERITIES.has(state.severity) || runbook === 'medium') return 'medium';
  return 'low';
}

export type Decided = ApprovalRecord & { decision: 'approved' | 'rejected' };

/**
 * The approval or rejection of the current round. A guard that refuses an action starts a new round, in
 * which the earlier approval no longer counts: people must decide again.
 */
export function currentDecision(state: Pick<IncidentState, 'approvals' | 'round'>): Decided | undefined {
  const round = state.round ?? 0;
  return state.approvals.find(
    (a): a is Decided => (a.round ?? 0) === round && (a.decision === 'approved' || a.decision === 'rejected'),
  );
}

/** Whether the incident waits for a person to approve or reject its plan now. */
export function awaitingDecision(
  state: Pick<IncidentState, 'stage' | 'recommendation' | 'approvals' | 'round'>,
): boolean {
  return state.stage === 'approve' && Boolean(state.recommendation) && !currentDecision(state);
}

export type StageStatus = 'done' | 'current' | 'skipped' | 'pending';

/** Every stage in order, with whether the incident passed it, is in it, skipped it or has yet to reach it. */
export function stageStrip(
  state: Pick<IncidentState, 'stage' | 'timeline'>,
): { stage: Stage; status: StageStatus; enteredAt?: string }[] {
  const entered = new Map<Stage, string>();
  for (const t of state.timeline) if (!entered.has(t.stage)) entered.set(t.stage, t.at);
  const current = STAGES.indexOf(state.stage);
  return STAGES.map((stage, i) => {
    const status: StageStatus =
      stage === state.stage && stage !== 'closed'
        ? 'current'
        : i <= current
          ? entered.has(stage)
            ? 'done'
            : 'skipped'
          : 'pending';
    const at = entered.get(stage);
    return { stage, status, ...(at ? { enteredAt: at } : {}) };
  });
}

/** What the API serves beside an incident's state, so that the console decides nothing on its own. */
export interface IncidentSummary {
  risk: RiskLight;
  awaitingDecision: boolean;
  decision?: { decision: 'approved' | 'rejected'; actor: string; at: string };
  stages: ReturnType<typeof stageStrip>;
}

export function summarize(state: IncidentState): IncidentSummary {
  const decided = currentDecision(state);
  return {
    risk: riskOf(state),
    awaitingDecision: awaitingDecision(state),
    ...(decided ? { decision: { decision: decided.decision, actor: decided.actor, at: decided.at } } : {}),
    stages: stageStrip(state),
  };
}
