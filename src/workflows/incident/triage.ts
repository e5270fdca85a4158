import { condition, proxyActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import type { DetectionResult } from '../../domain/incident.js';
import { firstFiring } from '../alerts.js';
import { incidentOpened } from '../records.js';
import { SA } from '../search-attributes.js';
import { RECORDS, TRIAGE } from './activities.js';
import { enter, note, nowIso, type Incident } from './context.js';

const triage =
  proxyActivities<Pick<IncidentActivities, 'detectAnomaly' | 'forecastTrend' | 'recommendRunbook'>>(TRIAGE);
const records = proxyActivities<Pick<IncidentActivities, 'recordIncidentOpened'>>(RECORDS);

/** 1. collect: a short debounce lets a burst of alerts land in one incident, which is then recorded. */
export async function collect(incident: Incident): Promise<void> {
  const { input, state } = incident;
  await condition(() => state.alerts.length > 0);
  // Alertmanager's group_wait already gathers a burst; with no debounce configured, the timer (whose
  // resolution on a server is about a second) is skipped.
  if (input.debounceMs > 0) await sleep(input.debounceMs);
  await records.recordIncidentOpened(incidentOpened(state));
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
  state.detection = await triage.detectAnomaly({ alert: alert ?? null });
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
  state.prediction = await triage.forecastTrend({ detection });
  note(incident, 'predicted', state.prediction.message);
}

/** 4. recommend a runbook, unless a run before this one did (its answer may be "none"). */
export async function recommend(incident: Incident): Promise<void> {
  const { state } = incident;
  if (state.recommendation !== undefined) return;
  enter(incident, 'recommend');
  const alert = firstFiring(state);
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
