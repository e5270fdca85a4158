export { incidentWorkflow } from './incident.js';
export { watchWorkflow } from './watch.js';
export { remediationGuardWorkflow } from './guard.js';
export { verdictLedgerWorkflow } from './verdicts.js';
export { severityModelWorkflow } from './severity.js';
export { escalationRulesWorkflow } from './rules.js';
