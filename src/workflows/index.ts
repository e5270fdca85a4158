export { incidentWorkflow } from './incident.js';
export { watchWorkflow } from './watch.js';
