import { condition, patched, proxyActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import type { DetectionResult, PredictionResult } from '../../domain/incident.js';
import { firstFiring } from '../alerts.js';
import { incidentOpened } from '../records.js';
import { SA } from '../search-attributes.js';
import { RECORDS, TRIAGE } from './activities.js';
import { readCalendarAhead } from './calendar.js';
import { enter, note, nowIso, settled, type Incident } from './context.js';

type TriageActivities = Pick<
  IncidentActivities,
  'detectAnomaly' | 'forecastTrend' | 'detectAndForecast' | 'recommendRunbook'
>;
const triage = proxyActivities<TriageActivities>(TRIAGE);
const records = proxyActivities<Pick<IncidentActivities, 'recordIncidentOpened'>>(RECORDS);

/**
 * Patch: triage in fewer trips through the server. The opening record runs beside detection instead of
 * before it, the forecast comes back with detection from one activity (detectAndForecast), and the
 * change calendar is read beside the recommendation instead of after it (readCalendarAhead). Each
 * trip (an activity's result, a workflow task, the next activity's poll) was most of the time from an
 * alert to the first action, far more than the work itself (bench:act).
 */
export const FEWER_TRIPS_PATCH = 'triage-fewer-trips';

/** The opening record still on its way, by incident: detection waits for it beside its own work. */
const opening = new WeakMap<Incident, Promise<void>>();

/** 1. collect: a short debounce lets a burst of alerts land in one incident, which is then recorded. */
export async function collect(incident: Incident): Promise<void> {
  const { input, state } = incident;
  await condition(() => state.alerts.length > 0);
  // Alertmanager's group_wait already gathers a burst; with no debounce configured, the timer (whose
  // resolution on a server is about a second) is skipped.
  if (input.debounceMs > 0) await sleep(input.debounceMs);
  if (!patched(FEWER_TRIPS_PATCH)) return records.recordIncidentOpened(incidentOpened(state));
  const recorded = records.recordIncidentOpened(incidentOpened(state));
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
  const recorded = opening.get(incident);
  if (recorded) {
    const [{ detection, prediction }] = await Promise.all([
      triage.detectAndForecast({ alert: alert ?? null }),
      recorded,
    ]);
    noteDetection(incident, detection);
    enter(incident, 'predict');
    notePrediction(incident, prediction);
    return detection;
  }
  return noteDetection(incident, await triage.detectAnomaly({ alert: alert ?? null }));
}

function noteDetection(incident: Incident, detection: DetectionResult): DetectionResult {
  const { state } = incident;
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
  notePrediction(incident, await triage.forecastTrend({ detection }));
}

function notePrediction(incident: Incident, prediction: PredictionResult): void {
  incident.state.prediction = prediction;
  note(incident, 'predicted', prediction.message);
}

/** 4. recommend a runbook, unless a run before this one did (its answer may be "none"). */
export async function recommend(incident: Incident): Promise<void> {
  const { state } = incident;
  if (state.recommendation !== undefined) return;
  enter(incident, 'recommend');
  const alert = firstFiring(state);
  if (patched(FEWER_TRIPS_PATCH)) readCalendarAhead(incident);
  const result = await triage.recommendRunbook({
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
