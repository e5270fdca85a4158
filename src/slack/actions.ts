/** The buttons' action IDs; their value names the incident and the approval round shown (decisionValue). */
export const APPROVE_ACTION = 'incident_approve';
export const REJECT_ACTION = 'incident_reject';
/** During a change freeze: opens a modal that asks for the override's reason. */
export const APPROVE_OVERRIDE_ACTION = 'incident_approve_override';
/** The override modal's callback ID; its private_metadata is the button's value. */
export const OVERRIDE_MODAL = 'incident_override';

/** Incident IDs never hold it (INCIDENT_ID), nor do round numbers and ISO times: it separates them. */
const MARK = '#';
/** The incident, its round and (in messages since it was named) when it opened, as decisionValue writes them. */
const VALUE = /^([^#]+)#(\d{1,7})(?:#([0-9T:.Z+-]{1,40}))?$/;

/**
 * A decision button's value: the incident, the approval round whose plan the message shows, so that a
 * click on a plan a guard has since handed back is refused (Decision.round), and when the incident
 * opened, so that a click on a message of an incident that closed is refused by the incident opened
 * again under its ID (Decision.opened). Messages posted before rounds were named carry the incident ID
 * alone, and those posted before the opening was named carry no opening.
 */
export function decisionValue(incidentId: string, round: number | undefined, opened?: string): string {
  if (round === undefined) return incidentId;
  return [incidentId, round, ...(opened !== undefined ? [opened] : [])].join(MARK);
}

/** The incident, round and opening a button's value names; a value without a round names neither. Pure. */
export function parseDecisionValue(value: string): { incidentId: string; round?: number; opened?: string } {
  const parts = VALUE.exec(value);
  // No round, or one no message of ours carries: the value as the incident ID, which names no incident.
  if (!parts?.[1] || !parts[2]) return { incidentId: value };
  return { incidentId: parts[1], round: Number(parts[2]), ...(parts[3] ? { opened: parts[3] } : {}) };
}
