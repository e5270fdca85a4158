/** The buttons' action IDs; their value is the incident ID. */
export const APPROVE_ACTION = 'incident_approve';
export const REJECT_ACTION = 'incident_reject';
/** During a change freeze: opens a modal that asks for the override's reason. */
export const APPROVE_OVERRIDE_ACTION = 'incident_approve_override';
/** The override modal's callback ID; its private_metadata is the incident ID. */
export const OVERRIDE_MODAL = 'incident_override';
