/** The buttons' action IDs; their value names the incident and the approval round shown (decisionValue). */
export const APPROVE_ACTION = 'incident_approve';
export const REJECT_ACTION = 'incident_reject';
/** During a change freeze: opens a modal that asks for the override's reason. */
export const APPROVE_OVERRIDE_ACTION = 'incident_approve_override';
/** The override modal's callback ID; its private_metadata is the button's value. */
export const OVERRIDE_MODAL = 'incident_override';

/** Incident IDs never hold it (INCIDENT_ID), so the value splits at its last one. */
const ROUND_MARK = '#';

/**
 * A decision button's value: the incident, and the approval round whose plan the message shows, so that
 * a click on a plan a guard has since handed back is refused (Decision.round). Messages posted before
 * rounds were named carry the incident ID alone.
 */
export function decisionValue(incidentId: string, round: number | undefined): string {
  return round === undefined ? incidentId : `${incidentId}${ROUND_MARK}${round}`;
}

/** The incident and round a button's value names; a value without a round names none. Pure. */
export function parseDecisionValue(value: string): { incidentId: string; round?: number } {
  const at = value.lastIndexOf(ROUND_MARK);
  const round = value.slice(at + 1);
  // No round, or one no message of ours carries: the value as the incident ID, which names no incident.
  if (at < 0 || !/^\d{1,7}$/.test(round)) return { incidentId: value };
  return { incidentId: value.slice(0, at), round: Number(round) };
}
