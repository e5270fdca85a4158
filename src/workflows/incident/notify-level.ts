import { proxyActivities } from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import type { EscalationTarget } from '../../domain/incident.js';
import { RECORDS } from './activities.js';
import { errorMessage, note, type Incident } from './context.js';

const records = proxyActivities<Pick<IncidentActivities, 'notifyEscalation'>>(RECORDS);

/**
 * Tells one level's targets (level `state.escalationLevel`). A failure is noted, never thrown: a channel
 * that cannot be reached must not end the incident, and the chain goes on to its next level.
 */
export async function notifyLevel(
  incident: Incident,
  targets: EscalationTarget[],
  recommendation: string,
): Promise<void> {
  const { state } = incident;
  try {
    const { delivered } = await records.notifyEscalation({
      incidentId: state.incidentId,
      level: state.escalationLevel,
      targets,
      title: state.title,
      service: state.service,
      severity: state.severity,
      recommendation,
    });
    // A rotation is resolved to a person at the moment of escalation, in the activity: the timeline
    // says whom it paged. No patch: without a rotation target nothing changes.
    const paged = delivered.filter((label) => label.startsWith('rotation '));
    if (paged.length > 0)
      note(incident, 'escalation-paged', `level ${state.escalationLevel} paged ${paged.join(', ')}`);
  } catch (err) {
    note(
      incident,
      'escalation-failed',
      `level ${state.escalationLevel} could not be notified: ${errorMessage(err)}`,
    );
  }
}
