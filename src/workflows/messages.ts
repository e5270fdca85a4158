import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Alert } from '../domain/alert.js';
import type { Decision, IncidentState, RefusedDecision } from '../domain/incident.js';

/** The incident workflow's messages, declared once for the workflow and its clients. */

/** New or re-sent alerts for this incident (firing or resolved); duplicates are dropped. */
export const alertsSignal = defineSignal<[Alert[]]>('alerts');
export const stateQuery = defineQuery<IncidentState>('state');
/** A decision an edge (Slack, API) refused, recorded in the timeline so attempts leave a trace. */
export const refusedDecisionSignal = defineSignal<[RefusedDecision]>('refusedDecision');
export const approveUpdate = defineUpdate<IncidentState, [Decision]>('approve');
export const rejectUpdate = defineUpdate<IncidentState, [Decision]>('reject');
export const acknowledgeUpdate = defineUpdate<IncidentState, [Decision]>('acknowledge');
export const resolveUpdate = defineUpdate<IncidentState, [Decision]>('resolve');

export const INCIDENT_WORKFLOW_TYPE = 'incidentWorkflow';

/** ApplicationFailure types an update can be refused with; clients branch on these. */
export const REFUSAL = {
  notAuthorized: 'NotAuthorized',
  wrongStage: 'WrongStage',
  alreadyDecided: 'AlreadyDecided',
  closed: 'IncidentClosed',
  invalid: 'InvalidDecision',
} as const;
