export { incidentWorkflow } from './incident.js';
export { watchWorkflow } from './watch.js';
export { remediationGuardWorkflow } from './guard.js';
export { verdictLedgerWorkflow } from './verdicts.js';
