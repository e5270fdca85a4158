import { patched, proxyActivities } from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import type { Recommendation } from '../../domain/incident.js';
import { SILENCES } from './activities.js';
import { errorMessage, note, type Incident } from './context.js';

/** Patch: a remediation silences its incident's alerts in Alertmanager, and closing expires them. */
export const SILENCE_PATCH = 'alertmanager-silence';
/**
 * Patch: the silence is asked beside the first step's reservation instead of before it, a trip through
 * the server fewer on the way to the first action; every action still waits for the silence.
 */
export const SILENCE_BESIDE_PATCH = 'silence-beside-reservation';
/** Patch: an alert is silenced only if Alertmanager holds it with its start too (src/activities/silences.ts). */
export const SILENCE_SAME_START_PATCH = 'silence-same-start';

const silences = proxyActivities<Pick<IncidentActivities, 'silenceIncident' | 'expireSilences'>>(SILENCES);

/** One step's longest run (REMEDIATION's start-to-close timeout): the silence outlasts the slowest fix. */
const STEP_BUDGET_MS = 5 * 60_000;
const MARGIN_MS = 2 * 60_000;

/**
 * Silences the incident's firing Alertmanager alerts for the remediation and its verification, unless
 * the runbook says not to or a silence from an earlier round still holds. Alertmanager is a courtesy
 * here: when it fails, the timeline says so and the remediation goes on.
 */
export async function silenceWhileFixing(
  incident: Incident,
  plan: Recommendation,
  approvedBy: string,
): Promise<void> {
  const { state } = incident;
  if (!patched(SILENCE_PATCH) || plan.silence === false) return;
  const current = state.silence;
  if (current?.status === 'active' && current.until && Date.parse(current.until) > Date.now()) return;
  const firing = state.alerts.filter((a) => a.status === 'firing' && a.source === 'alertmanager');
  if (firing.length === 0) return;
  const sameStart = patched(SILENCE_SAME_START_PATCH);
  const byFingerprint = new Map(
    firing.map((a) => [
      a.fingerprint,
      sameStart ? { labels: a.labels, startsAt: a.startsAt } : { labels: a.labels },
    ]),
  );
  try {
    const result = await silences.silenceIncident({
      incidentId: state.incidentId,
      runbookId: plan.runbookId,
      approvedBy,
      alerts: [...byFingerprint.values()],
      durationMs: plan.steps.length * STEP_BUDGET_MS + plan.verification.withinMs + MARGIN_MS,
    });
    if (result.status === 'off') return;
    const ids = result.silences.map((s) => s.id);
    state.silence = { status: 'active', ids, until: result.endsAt };
    const made = result.silences.map((s) => `${s.id} (${s.alert})`).join(', ');
    const skipped = result.skipped.length > 0 ? `; not silenced: ${result.skipped.join('; ')}` : '';
    note(
      incident,
      'silenced',
      ids.length > 0
        ? `silenced ${ids.length} alert(s) in Alertmanager until ${result.endsAt} or the incident closes: ${made}${skipped}`
        : `no alert could be silenced${skipped}`,
    );
  } catch (err) {
    // Its own silences may exist (a lost answer): closing still looks for them.
    state.silence = { status: 'failed', ids: [] };
    note(
      incident,
      'silence-failed',
      `the alerts could not be silenced in Alertmanager: ${errorMessage(err)}`,
    );
  }
}

/** Expires the incident's silences as it closes, whatever its outcome; a failure is noted, never fatal. */
export async function expireSilences(incident: Incident): Promise<void> {
  const { state } = incident;
  const current = state.silence;
  if (!current || current.status === 'expired' || !patched(SILENCE_PATCH)) return;
  try {
    const { expired } = await silences.expireSilences({ incidentId: state.incidentId });
    state.silence = { ...current, status: 'expired' };
    if (expired.length > 0 || current.ids.length > 0) {
      note(
        incident,
        'silence-expired',
        `expired the Alertmanager silence(s) ${expired.join(', ') || '(none left)'}`,
      );
    }
  } catch (err) {
    note(
      incident,
      'silence-expire-failed',
      `the Alertmanager silence(s) could not be expired: ${errorMessage(err)}${current.until ? `; they end by themselves at ${current.until}` : ''}`,
    );
  }
}
