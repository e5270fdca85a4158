import { describe, expect, expectTypeOf, it } from 'vitest';
import { incidentWorkflow } from '../../src/workflows/incident.js';
import { INCIDENT_WORKFLOW_TYPE, type IncidentWorkflow } from '../../src/workflows/messages.js';

// Clients start the workflow by the name and signature in messages.ts, without importing it.
describe('the incident workflow as clients see it (src/workflows/messages.ts)', () => {
  it('has the signature clients start it with (checked by npm run typecheck)', () => {
    expectTypeOf(incidentWorkflow).toEqualTypeOf<IncidentWorkflow>();
  });

  it('is registered under the type name clients use', () => {
    expect(incidentWorkflow.name).toBe(INCIDENT_WORKFLOW_TYPE);
  });
});
