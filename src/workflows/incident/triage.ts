import {
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  upsertSearchAttributes,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import type { DetectionResult } from '../../domain/incident.js';
import { firstFiring } from '../alerts.js';
import { incidentOpened } from '../records.js';
import { SA } from '../search-attributes.js';
import { RECORDS, TRIAGE } from './activities.js';
import { enter, note, nowIso, settled, type Incident } from './context.js';

type TriageActivities = Pick<IncidentActivities, 'detectAnomaly' | 'forecastTrend' | 'recommendRunbook'>;
const triage = proxyActivities<TriageActivities>(TRIAGE);
const records = proxyActivities<Pick<IncidentActivities, 'recordIncidentOpened'>>(RECORDS);

/**
 * Triage in fewer workflow tasks: the opening record runs beside detection, and it, the forecast and
 * the runbook run as local activities, each answered in the worker within the task that asked for it instead of
 * costing a round trip through the server (about a workflow task each, most of the time to act).
 * Detection stays an ordinary activity: its advisors query workflows on this worker, and a local
 * activity holds its workflow task's slot while it runs. Neither local one reaches a workflow.
 */
export const LOCAL_TRIAGE_PATCH = 'local-triage';

const local = (options: typeof TRIAGE): LocalActivityOptions => ({
  ...(options.startToCloseTimeout ? { startToCloseTimeout: options.startToCloseTimeout } : {}),
  ...(options.retry ? { retry: options.retry } : {}),
});
const localTriage = proxyLocalActivities<TriageActivities>(local(TRIAGE));
const localRecords = proxyLocalActivities<Pick<IncidentActivities, 'recordIncidentOpened'>>(local(RECORDS));

/** The opening record still on its way, by incident, which detection waits for beside its own work. */
const opening = new WeakMap<Incident, Promise<void>>();

/** 1. collect: a short debounce lets a burst of alerts land in one incident, which is then recorded. */
export async function collect(incident: Incident): Promise<void> {
  const { input, state } = incident;
  await condition(() => state.alerts.length > 0);
  // Alertmanager's group_wait already gathers a burst; with no debounce configured, the timer (whose
  // resolution on a server is about a second) is skipped.
  if (input.debounceMs > 0) await sleep(input.debounceMs);
  if (!patched(LOCAL_TRIAGE_PATCH)) return records.recordIncidentOpened(incidentOpened(state));
  const recorded = localRecords.recordIncidentOpened(incidentOpened(state));
  // Resolved already: the incident closes without triage, once it is recorded as opened.
  if (settled(incident)) return recorded;
  opening.set(incident, recorded);
}

/** A run continued as new picks up in the stage it was carried in. */
export function resume({ state }: Incident): void {
  upsertSearchAttributes([{ key: SA.stage, value: state.stage }]);
}

/** 2. detect, unless a run before this one did. */
export async function detect(incident: Incident): Promise<DetectionResult> {
  const { state } = incident;
  if (state.detection) return state.detection;
  enter(incident, 'detect');
  const alert = firstFiring(state);
  const [detection] = await Promise.all([
    triage.detectAnomaly({ alert: alert ?? null }),
    opening.get(incident),
  ]);
  state.detection = detection;
  note(incident, 'detected', state.detection.message);
  // Only a disagreement is worth a line in the timeline; the label stays the incident's severity.
  const severity = state.detection.severity;
  if (severity?.status === 'suggested' && severity.severity !== severity.label)
    note(incident, 'severity-suggested', severity.message);
  if (state.detection.noisy) note(incident, 'noisy-source', state.detection.noisy);
  return state.detection;
}

/** 3. predict, unless a run before this one did. */
export async function predict(incident: Incident, detection: DetectionResult): Promise<void> {
  const { state } = incident;
  if (state.prediction) return;
  enter(incident, 'predict');
  const activities = patched(LOCAL_TRIAGE_PATCH) ? localTriage : triage;
  state.prediction = await activities.forecastTrend({ detection });
  note(incident, 'predicted', state.prediction.message);
}

/** 4. recommend a runbook, unless a run before this one did (its answer may be "none"). */
export async function recommend(incident: Incident): Promise<void> {
  const { state } = incident;
  if (state.recommendation !== undefined) return;
  enter(incident, 'recommend');
  const alert = firstFiring(state);
  const activities = patched(LOCAL_TRIAGE_PATCH) ? localTriage : triage;
  const result = await activities.recommendRunbook({
    alertName: state.alertName,
    service: state.service,
    labels: alert?.labels ?? {},
    findings: {
      ...(state.prediction?.forecast ? { trend: state.prediction.forecast.trend } : {}),
      ...(state.detection?.finding ? { anomalyScore: state.detection.finding.score } : {}),
    },
  });
  state.recommendation = result.recommendation;
  state.milestones.recommended = nowIso();
  note(incident, result.refused ? 'plan-refused' : 'recommended', result.message);
  if (result.recommendation)
    upsertSearchAttributes([{ key: SA.runbook, value: result.recommendation.runbookId }]);
}
