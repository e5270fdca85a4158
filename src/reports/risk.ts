import type { IncidentState } from '../domain/incident.js';

export type RiskLight = 'low' | 'medium' | 'critical';

const MEDIUM_SEVERITIES = new Set(['high', 'error', 'warning']);

/**
 * The incident's risk light: the worse of its severity and its recommended runbook's risk. The console
 * applies the same rule in src/console/app.js (riskOf); keep the two alike.
 */
export function riskOf(state: Pick<IncidentState, 'severity' | 'recommendation'>): RiskLight {
  const runbook = state.recommendation?.risk;
  if (state.severity === 'critical' || runbook === 'high') return 'critical';
  if (MEDIUM_SEVERITIES.has(state.severity) || runbook === 'medium') return 'medium';
  return 'low';
}
