import { proxyActivities } from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import { formatDuration } from '../../domain/duration.js';
import { firstFiring } from '../alerts.js';
import { TRIAGE } from './activities.js';
import { notifyLevel } from './notify-level.js';
import { errorMessage, note, nowIso, tell, type Incident } from './context.js';

const triage = proxyActivities<Pick<IncidentActivities, 'matchEscalationRules'>>(TRIAGE);

/**
 * Escalation rules for an incident with no plan (src/rules/, docs/rules.md). Since this patch, such an
 * incident reads the rules once, as it starts waiting for people, and tells each matching rule's
 * recipients at its delay until someone acknowledges or resolves it. A plan's escalation gets its
 * rules in the recommend activity instead, with no workflow change.
 */
export const RULES_PATCH = 'escalation-rules';

/** Reads the matching rules into the state, unless a run before this one did. Never throws. */
export async function readRuleEscalation(incident: Incident): Promise<void> {
  const { state } = incident;
  if (state.ruleEscalation) return;
  const since = nowIso();
  let match: Awaited<ReturnType<IncidentActivities['matchEscalationRules']>>;
  try {
    match = await triage.matchEscalationRules({
      alertName: state.alertName,
      service: state.service,
      labels: firstFiring(state)?.labels ?? {},
    });
  } catch (err) {
    match = { levels: [], unavailable: errorMessage(err) };
  }
  state.ruleEscalation = { since, levels: match.levels };
  if (match.unavailable !== undefined) {
    note(
      incident,
      'rules-unavailable',
      `escalation rules were unavailable (${match.unavailable}); nobody is paged by a rule`,
    );
    return;
  }
  if (match.levels.length === 0) return;
  const named = match.levels.map((l) => `"${l.rule}" after ${formatDuration(l.delayMs)}`).join(', ');
  note(incident, 'rules-matched', `escalation rules matched: ${named}`);
  scheduleNext(incident);
}

const acknowledged = ({ state }: Incident): boolean =>
  state.approvals.some((a) => a.decision === 'acknowledged');

/** Milliseconds until the next rule's level is due (0 or less: now), or undefined when none is left. */
export function nextRuleDue(incident: Incident): number | undefined {
  const { state } = incident;
  const escalation = state.ruleEscalation;
  const level = escalation?.levels[state.escalationLevel];
  if (!escalation || !level || acknowledged(incident)) return undefined;
  return Date.parse(escalation.since) + level.delayMs - Date.now();
}

function scheduleNext(incident: Incident): void {
  const { state } = incident;
  const due = nextRuleDue(incident);
  if (due === undefined) delete state.nextEscalationAt;
  else state.nextEscalationAt = new Date(Date.now() + due).toISOString();
}

/** Tells the recipients of the rule whose time has come, and sets the clock for the next one. */
export async function escalateByRule(incident: Incident): Promise<void> {
  const { state } = incident;
  const level = state.ruleEscalation?.levels[state.escalationLevel];
  if (!level) return;
  state.escalationLevel++;
  scheduleNext(incident);
  note(incident, 'escalated', `nobody has taken the incident: escalated by rule "${level.rule}"`);
  await tell(incident, `Nobody has taken the incident: escalated by rule "${level.rule}".`);
  await notifyLevel(
    incident,
    level.notify,
    `No runbook applies; the escalation rule "${level.rule}" matched.`,
  );
}
