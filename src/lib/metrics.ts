import { PHASES } from '../domain/breakdown.js';
import { OUTCOMES, STAGES } from '../domain/incident.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The product's own metrics, in one registry that /metrics serves. */
export interface Metrics {
  registry: Registry;
  alertsReceived: Counter<'source' | 'status'>;
  /** Alerts the API knew it had just delivered to their incident, so not sent to Temporal again. */
  alertsAlreadyDelivered: Counter;
  requests: Counter<'route' | 'code'>;
  incidentsStarted: Counter;
  incidentsClosed: Counter<'outcome'>;
  stageDuration: Histogram<'stage'>;
  approvals: Counter<'decision' | 'via'>;
  /** `target` is the guards' key of what the action changed (actionTarget), bounded by labelBudget. */
  remediationActions: Counter<'action' | 'result' | 'target'>;
  timeToFirstAction: Histogram;
  timeToClose: Histogram<'outcome'>;
  incidentPhase: Histogram<'phase'>;
  duplicatesDropped: Counter;
  /** See src/clusters/counted.ts for exactly what is counted (once per incident, per process). */
  alertsClustered: Counter;
  /** Incidents judged noise: by a person, or by the evidence at close when no person had (docs/verdicts.md). */
  falsePositives: Counter<'source' | 'incident_service'>;
  alertsPerIncident: Histogram;
  alertFatigue: Gauge;
  noisySources: Gauge<'kind' | 'name'>;
  /** Set by the API (src/verdicts/gauges.ts): refreshes the two gauges above when /metrics is read. */
  refreshVerdictGauges?: () => Promise<void>;
  /** The fleet sampler's latest poll of each container (src/fleet/sampler.ts). */
  fleetMemoryShare: Gauge<'container' | 'service'>;
  fleetCpuCores: Gauge<'container' | 'service'>;
  fleetRisk: Gauge<'container' | 'service'>;
  /** Closed incidents whose report or postmortem draft could not be written after every attempt. */
  reportsFailed: Counter;
}

/** The longest label value a metric takes from an incident: each distinct value is a series kept forever. */
export const MAX_LABEL_CHARS = 128;

/** A label value from outside (an alert, a runbook's filled step), cut to MAX_LABEL_CHARS characters. */
export const boundedLabel = (value: string): string => Array.from(value).slice(0, MAX_LABEL_CHARS).join('');

/**
 * Label values from outside, bounded in number too: each is cut (boundedLabel), and past `max` distinct
 * ones in this process a new one is counted as `other`. Every value is a series Prometheus keeps, and an
 * alert's sender chooses the labels a service name or a step's target is filled from.
 */
export function labelBudget(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    const label = boundedLabel(value);
    if (!seen.has(label) && seen.size < max) seen.add(label);
    return seen.has(label) ? label : 'other';
  };
}

const STAGE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'steadfast_' });
  const r = [registry];
  const metrics: Metrics = {
    registry,
    ...ingestMetrics(r),
    ...incidentMetrics(r),
    ...noiseMetrics(r, () => metrics.refreshVerdictGauges?.()),
    ...fleetGauges(r),
    reportsFailed: reportsFailedCounter(r),
  };
  // Known label values start at zero, so rate() and increase() count their first event too.
  for (const outcome of OUTCOMES) {
    metrics.incidentsClosed.inc({ outcome }, 0);
    metrics.timeToClose.zero({ outcome });
  }
  for (const stage of STAGES) metrics.stageDuration.zero({ stage });
  for (const source of ['person', 'evidence'])
    metrics.falsePositives.inc({ source, incident_service: '' }, 0);
  for (const { phase } of PHASES) metrics.incidentPhase.zero({ phase });
  return metrics;
}

/** What reaches the API: alerts, requests, re-deliveries and clusters. */
function ingestMetrics(
  r: Registry[],
): Pick<
  Metrics,
  'alertsReceived' | 'alertsAlreadyDelivered' | 'requests' | 'duplicatesDropped' | 'alertsClustered'
> {
  return {
    alertsReceived: new Counter({
      name: 'steadfast_alerts_received_total',
      help: 'Alerts received, by source and status.',
      labelNames: ['source', 'status'],
      registers: r,
    }),
    alertsAlreadyDelivered: new Counter({
      name: 'steadfast_alerts_already_delivered_total',
      help: 'Re-delivered alerts the API recognised as delivered to their incident within the minute, not sent again.',
      registers: r,
    }),
    requests: new Counter({
      name: 'steadfast_api_requests_total',
      help: 'API requests by route and HTTP status.',
      labelNames: ['route', 'code'],
      registers: r,
    }),
    duplicatesDropped: new Counter({
      name: 'steadfast_duplicate_alerts_dropped_total',
      help: 'Re-delivered alerts an incident already had.',
      registers: r,
    }),
    alertsClustered: new Counter({
      name: 'steadfast_alerts_clustered_total',
      help: 'Alerts held by incidents the first time this process found each in a similar-alert cluster of 2 or more incidents (GET /api/v1/clusters).',
      registers: r,
    }),
  };
}

/** An incident's course: opened, its stages and phases, decisions, actions and close. */
function incidentMetrics(
  r: Registry[],
): Pick<
  Metrics,
  | 'incidentsStarted'
  | 'incidentsClosed'
  | 'stageDuration'
  | 'approvals'
  | 'remediationActions'
  | 'timeToFirstAction'
  | 'incidentPhase'
  | 'timeToClose'
> {
  return {
    incidentsStarted: new Counter({
      name: 'steadfast_incidents_started_total',
      help: 'Incidents opened.',
      registers: r,
    }),
    incidentsClosed: new Counter({
      name: 'steadfast_incidents_closed_total',
      help: 'Incidents closed, by outcome.',
      labelNames: ['outcome'],
      registers: r,
    }),
    stageDuration: new Histogram({
      name: 'steadfast_stage_duration_seconds',
      help: 'Time spent in each incident stage.',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS,
      registers: r,
    }),
    approvals: new Counter({
      name: 'steadfast_approvals_total',
      help: 'Approval decisions, by decision and channel.',
      labelNames: ['decision', 'via'],
      registers: r,
    }),
    remediationActions: new Counter({
      name: 'steadfast_remediation_actions_total',
      help: 'Remediation actions, by action, result and target (what the guards count the action against).',
      labelNames: ['action', 'result', 'target'],
      registers: r,
    }),
    timeToFirstAction: new Histogram({
      name: 'steadfast_time_to_first_action_seconds',
      help: 'From incident opened to the first remediation action.',
      buckets: STAGE_BUCKETS,
      registers: r,
    }),
    incidentPhase: new Histogram({
      name: 'steadfast_incident_phase_seconds',
      help: 'The MTTR breakdown: alert firing → opened (open), → recommended (triage), → approved (approval_wait), → first action (to_first_action), → verified (to_verified).',
      labelNames: ['phase'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600],
      registers: r,
    }),
    timeToClose: new Histogram({
      name: 'steadfast_time_to_close_seconds',
      help: 'From incident opened to closed, by outcome.',
      labelNames: ['outcome'],
      buckets: STAGE_BUCKETS,
      registers: r,
    }),
  };
}

/** Starts at zero, so an alert on its increase fires on the first record lost. */
function reportsFailedCounter(r: Registry[]): Counter {
  const counter = new Counter({
    name: 'steadfast_reports_failed_total',
    help: "Closed incidents whose audit report or postmortem draft could not be written to STEADFAST_REPORTS_DIR after every attempt (the worker's log says why).",
    registers: r,
  });
  counter.inc(0);
  return counter;
}

/** Alert fatigue and false positives (docs/verdicts.md); `refresh` reads the two gauges' values. */
function noiseMetrics(
  r: Registry[],
  refresh: () => Promise<void> | undefined,
): Pick<Metrics, 'falsePositives' | 'alertsPerIncident' | 'alertFatigue' | 'noisySources'> {
  return {
    falsePositives: new Counter({
      name: 'steadfast_false_positive_total',
      help: 'Incidents judged noise, by source (person, or evidence at close when no person had) and the incident service.',
      // Not `service`: Prometheus's own scrape of Steadfast sets that target label (it would be renamed).
      labelNames: ['source', 'incident_service'],
      registers: r,
    }),
    alertsPerIncident: new Histogram({
      name: 'steadfast_alerts_per_incident',
      help: 'Distinct alerts an incident received, observed when it closes.',
      buckets: [1, 2, 3, 5, 10, 20, 50, 100, 500],
      registers: r,
    }),
    alertFatigue: new Gauge({
      name: 'steadfast_alert_fatigue_score',
      help: 'Pages per on-call hour over the last 7 days, night pages weighing 3 and off-hours 2 (docs/verdicts.md).',
      registers: r,
      collect: refresh,
    }),
    noisySources: new Gauge({
      name: 'steadfast_noisy_source',
      help: 'Noise share of each alert rule (kind=alertname) or service flagged as paging for nothing.',
      labelNames: ['kind', 'name'],
      registers: r,
      collect: refresh,
    }),
  };
}

/** The fleet sampler's gauges (src/fleet/sampler.ts). */
function fleetGauges(r: Registry[]): Pick<Metrics, 'fleetMemoryShare' | 'fleetCpuCores' | 'fleetRisk'> {
  return {
    fleetMemoryShare: new Gauge({
      name: 'steadfast_fleet_memory_share',
      help: "Each fleet container's memory in use as a share of its limit, at the fleet sampler's latest poll.",
      labelNames: ['container', 'service'],
      registers: r,
    }),
    fleetCpuCores: new Gauge({
      name: 'steadfast_fleet_cpu_cores',
      help: "CPU cores each fleet container used, at the fleet sampler's latest poll.",
      labelNames: ['container', 'service'],
      registers: r,
    }),
    fleetRisk: new Gauge({
      name: 'steadfast_fleet_risk',
      help: "The forecast's chance that a fleet container's memory passes 90% of its limit within 30 minutes (docs/operations.md).",
      labelNames: ['container', 'service'],
      registers: r,
    }),
  };
}
