/** The buttons' action IDs; their value is the incident ID. */
export const APPROVE_ACTION = 'incident_approve';
export const REJECT_ACTION = 'incident_reject';
