import type { Alert } from '../domain/alert.js';
import { DEFAULT_ANOMALY_OPTIONS, scoreAnomaly } from '../domain/anomaly.js';
import { forecastThreshold } from '../domain/forecast.js';
import type { DetectionResult, PredictionResult } from '../domain/incident.js';
import type { Suggestion as SeveritySuggestion } from '../severity/model.js';
import {
  alertExpression,
  configuredPrometheus,
  originOf,
  type PrometheusServers,
} from '../domain/metrics-source.js';
import { parseAlertCondition } from '../domain/promql.js';
import { formatValue } from '../domain/series.js';
import { watchComparison } from '../domain/watch.js';
import { readWatches } from './watch.js';
import {
  PrometheusClient,
  PrometheusError,
  type PrometheusLimits,
  type RangeAnswer,
  type RangeSeries,
} from './prometheus-client.js';

export interface TriageConfig {
  /** The Prometheus asked by default (PROMETHEUS_URL); an alert never chooses one. */
  prometheusUrl?: string;
  /** Further Prometheus servers (STEADFAST_PROMETHEUS_URLS) whose alerts are read and asked of them. */
  prometheusUrls?: string[];
  /** How much of an answer is read; see PrometheusLimits. */
  prometheusLimits?: Partial<PrometheusLimits>;
  detectWindowMs: number;
  detectStepMs: number;
  /** The end of the window that counts as "now" against the baseline before it. */
  detectRecentMs: number;
  /** How far back to look for the same time of day (e.g. 1d, 2d, 7d): the seasonal baseline. */
  seasonalOffsetsMs: number[];
  /** The watches (STEADFAST_WATCH_FILE), whose predicted incidents carry their own expressions. */
  watchFile?: string;
}

/** The series of a result that belongs to the alert: its labels are all among the alert's labels. */
function seriesOfAlert(result: RangeSeries[], alertLabels: Record<string, string>): RangeSeries | undefined {
  return (
    result.find((s) =>
      Object.entries(s.labels).every(([k, v]) => k === '__name__' || alertLabels[k] === v),
    ) ?? result[0]
  );
}

/** The message, then what was cut or ignored on the way, each a sentence: no cut is ever silent. */
function withNotes(message: string, notes: (string | undefined)[]): string {
  const said = notes
    .filter((n): n is string => Boolean(n))
    .map((n) => n.charAt(0).toUpperCase() + n.slice(1));
  return [message, ...said].join('. ');
}

/** What every triage activity shares: the configured servers and the detection window. */
interface Triage {
  config: TriageConfig;
  servers: PrometheusServers;
  windowSec: number;
  stepSec: number;
  now: () => number;
  clientOf(url: string): PrometheusClient;
}

/** The severity model's view of an alert; see src/severity/. */
export type SeverityAdvisor = (alert: Alert) => Promise<SeveritySuggestion>;
/** The sentence flagging the alert's rule or service as paging for nothing, if people's verdicts do. */
export type NoiseAdvisor = (alert: Alert) => Promise<string | undefined>;

/** What triage asks besides Prometheus: advice shown beside the findings, never a reason to fail. */
export interface TriageAdvisors {
  severity?: SeverityAdvisor;
  noise?: NoiseAdvisor;
}

export function createTriageActivities(
  config: TriageConfig,
  now: () => number = Date.now,
  advisors: TriageAdvisors = {},
) {
  const triage: Triage = {
    config,
    servers: configuredPrometheus(config),
    windowSec: Math.round(config.detectWindowMs / 1000),
    stepSec: Math.max(1, Math.round(config.detectStepMs / 1000)),
    now,
    clientOf: (url) => new PrometheusClient(url, config.prometheusLimits),
  };
  const detect = async (input: { alert: Alert | null }): Promise<DetectionResult> => {
    const { alert } = input;
    // The advice is asked beside the score, not after it: neither waits on the other.
    const [result, severity, noisy] = await Promise.all([
      detectAnomaly(triage, input),
      alert ? advise(advisors.severity, alert) : undefined,
      alert ? advise(advisors.noise, alert) : undefined,
    ]);
    return { ...result, ...(severity ? { severity } : {}), ...(noisy ? { noisy } : {}) };
  };
  return {
    detectAnomaly: detect,
    forecastTrend,
    /**
     * Detection and its forecast as one activity. The forecast is arithmetic on the series detection
     * just read; as an activity of its own it cost a round trip through the server on every incident's
     * way to its first action, and carried the series through history a second time.
     */
    detectAndForecast: async (input: {
      alert: Alert | null;
    }): Promise<{ detection: DetectionResult; prediction: PredictionResult }> => {
      const detection = await detect(input);
      return { detection, prediction: await forecastTrend({ detection }) };
    },
    checkCondition: (input: { promql: string; prometheusUrl?: string }) => checkCondition(triage, input),
  };
}

/**
 * Advice is advice: when it cannot be had (Temporal busy or down), triage goes on without it rather
 * than failing, or retrying the anomaly score with it.
 */
async function advise<T>(
  advisor: ((alert: Alert) => Promise<T>) | undefined,
  alert: Alert,
): Promise<T | undefined> {
  if (!advisor) return undefined;
  try {
    return await advisor(alert);
  } catch {
    return undefined;
  }
}

/**
 * Queries the alert's series on a configured Prometheus and scores its recent values against its own
 * baseline. An alert from anywhere else is not read (see alertExpression).
 */
async function detectAnomaly(triage: Triage, { alert }: { alert: Alert | null }): Promise<DetectionResult> {
  const source = alertExpression(alert, triage.servers);
  if (!source.ok) return { status: 'no-metrics-source', message: source.message };
  const client = triage.clientOf(source.prometheusUrl);
  const unconfirmed = await unconfirmedRule(triage, client, alert?.alertName ?? '', source.rule);
  // Not recorded: the detection's server is the one verification asks (verification.ts), and an alert
  // whose rule that server does not confirm could otherwise pick, among the configured servers, one where
  // the runbook's check holds (or fails) whatever the fix did. Verification then asks PROMETHEUS_URL.
  if (unconfirmed) return unconfirmed;
  const condition = parseAlertCondition(source.expression);
  const base = {
    query: condition.series,
    prometheusUrl: source.prometheusUrl,
    ...(condition.threshold ? { threshold: condition.threshold } : {}),
  };
  const endSec = Math.floor(triage.now() / 1000);
  let answer: RangeAnswer;
  try {
    answer = await client.queryRange(condition.series, endSec - triage.windowSec, endSec, triage.stepSec);
  } catch (err) {
    if (!(err instanceof PrometheusError)) throw err;
    const message = withNotes(`no anomaly score: ${err.message}`, [source.note]);
    return { ...base, status: 'unreachable', message };
  }
  return score(triage, { client, alert, base, answer, endSec, notes: [source.note] });
}

/**
 * Why the generatorURL's expression is not read, or undefined when it may be. Its sender wrote it, so it
 * could be any PromQL (`count_over_time({password!=""}[30d])`), and what it reads reaches the incident
 * and Slack: it is read only when the server it names has an alerting rule of the alert's name with
 * exactly that expression (Prometheus writes both from the same text), or when it is a configured
 * watch's own (src/activities/watch.ts opens those incidents).
 */
async function unconfirmedRule(
  triage: Triage,
  client: PrometheusClient,
  alertName: string,
  rule: string,
): Promise<Pick<DetectionResult, 'status' | 'message'> | undefined> {
  if (await isWatchExpression(triage.config.watchFile, alertName, rule)) return undefined;
  let rules: string[];
  try {
    rules = await client.alertingRuleQueries(alertName);
  } catch (err) {
    if (!(err instanceof PrometheusError)) throw err;
    return { status: 'unreachable', message: `no anomaly score: ${err.message}` };
  }
  if (rules.includes(rule)) return undefined;
  return {
    status: 'no-metrics-source',
    message:
      `no anomaly score: Prometheus at ${client.baseUrl} has no alerting rule ${JSON.stringify(alertName)} ` +
      "with the expression the alert's generatorURL carries; the expression was not read",
  };
}

async function isWatchExpression(watchFile: string | undefined, alertName: string, rule: string) {
  if (!watchFile) return false;
  const watches = await readWatches(watchFile).catch(() => []);
  return watches.some((w) => w.name === alertName && watchComparison(w) === rule);
}

/**
 * The same window on previous days, oldest first, from Prometheus's own history, so no separate
 * baseline store is needed. Days outside retention simply return nothing.
 */
async function seasonalHistory(
  triage: Triage,
  client: PrometheusClient,
  query: string,
  labels: Record<string, string>,
  endSec: number,
): Promise<{ values: number[]; times: number[]; days: number; cut?: string }> {
  const { windowSec, stepSec } = triage;
  const offsets = [...triage.config.seasonalOffsetsMs]
    .sort((a, b) => b - a)
    .map((ms) => Math.round(ms / 1000));
  const windows = await Promise.all(
    offsets.map((off) =>
      client
        .queryRange(query, endSec - off - windowSec, endSec - off, stepSec)
        .then((r) => ({ answer: r, series: seriesOfAlert(r.series, labels) }))
        .catch(() => undefined),
    ),
  );
  const values = windows.map((w) => w?.series?.values ?? []);
  const times = windows.map((w) => w?.series?.times ?? []);
  const cut = windows.some((w) => w?.answer.cut ?? w?.series?.cut);
  return {
    values: values.flat(),
    times: times.flat(),
    days: values.filter((w) => w.length > 0).length,
    ...(cut ? { cut: 'the baseline from previous days was cut to the same limits' } : {}),
  };
}

interface Scoring {
  client: PrometheusClient;
  alert: Alert | null;
  base: Omit<DetectionResult, 'status' | 'message'> & { query: string };
  answer: RangeAnswer;
  endSec: number;
  notes: (string | undefined)[];
}

/** Scores the alert's series (already queried) against its own baseline. */
async function score(
  triage: Triage,
  { client, alert, base, answer, endSec, notes }: Scoring,
): Promise<DetectionResult> {
  const series = seriesOfAlert(answer.series, alert?.labels ?? {});
  const cuts = [...notes, answer.cut, series?.cut];
  if (!series || series.values.length === 0) {
    const message = `no anomaly score: ${base.query} returned no data`;
    return { ...base, status: 'no-data', message: withNotes(message, cuts) };
  }
  const seriesOut = { times: series.times, values: series.values, labels: series.labels };
  const seasonal = await seasonalHistory(triage, client, base.query, alert?.labels ?? {}, endSec);
  const finding = scoreAnomaly(
    { query: base.query, ...seriesOut },
    {
      ...DEFAULT_ANOMALY_OPTIONS,
      recentSeconds: triage.config.detectRecentMs / 1000,
      ...(alert ? { startedAt: Date.parse(alert.startsAt) / 1000 } : {}),
      ...(seasonal.days > 0
        ? { seasonal: { values: seasonal.values, times: seasonal.times, days: seasonal.days } }
        : {}),
    },
  );
  const allNotes = [...cuts, seasonal.cut];
  if (!finding) {
    const message = `no anomaly score: only ${series.values.length} points of ${base.query}, too little history`;
    return {
      ...base,
      series: seriesOut,
      status: 'insufficient-history',
      message: withNotes(message, allNotes),
    };
  }
  const message = withNotes(`anomaly score ${finding.score}: ${finding.reason}`, allNotes);
  return { ...base, series: seriesOut, status: 'scored', finding, message };
}

/** Fits the trend of the detected series and says when it crosses the alert's threshold. */
async function forecastTrend({ detection }: { detection: DetectionResult }): Promise<PredictionResult> {
  if (!detection.series) {
    return { status: 'no-data', message: 'no forecast: there is no series to fit' };
  }
  const forecast = forecastThreshold(
    { query: detection.query ?? '', ...detection.series },
    detection.threshold,
  );
  if (!forecast) return { status: 'no-data', message: 'no forecast: too few points to fit a trend' };
  return { status: 'forecast', forecast, message: `forecast: ${forecast.summary}` };
}

/**
 * Whether a PromQL condition (the runbook's verify.promql) holds now: it returns at least one sample (or
 * a non-zero scalar). `prometheusUrl` (the detection's) is used only when it is a configured server; any
 * other value is never contacted, and the default server is asked instead.
 */
async function checkCondition(
  triage: Triage,
  { promql, prometheusUrl }: { promql: string; prometheusUrl?: string },
): Promise<ConditionCheck> {
  const { servers } = triage;
  const url = servers.serverFor(prometheusUrl) ?? servers.default;
  const ignored =
    prometheusUrl && !servers.serverFor(prometheusUrl)
      ? `the address it was given (${originOf(prometheusUrl) ?? 'not an http(s) URL'}) is not a configured Prometheus and was not asked`
      : undefined;
  if (!url) {
    const message = 'no Prometheus is configured (PROMETHEUS_URL, STEADFAST_PROMETHEUS_URLS) to verify with';
    return { holds: false, message: withNotes(message, [ignored]) };
  }
  const result = await evaluate(triage.clientOf(url), promql);
  return { ...result, message: withNotes(result.message, [ignored]) };
}

/**
 * A verification check. `unanswered`: Prometheus could not be reached, so the check says nothing about
 * the condition (the workflow waits longer for an answer rather than rolling back on it).
 */
export interface ConditionCheck {
  holds: boolean;
  message: string;
  unanswered?: true;
}

async function evaluate(client: PrometheusClient, promql: string): Promise<ConditionCheck> {
  try {
    const result = await client.query(promql);
    if (result.kind === 'scalar') {
      return { holds: result.value !== 0, message: `${promql} = ${formatValue(result.value)}` };
    }
    const first = result.samples[0];
    return first
      ? {
          holds: true,
          message: `${promql} holds (${result.count} series, first ${formatValue(first.value)})`,
        }
      : { holds: false, message: `${promql} returned no series` };
  } catch (err) {
    if (err instanceof PrometheusError) {
      return {
        holds: false,
        message: err.message,
        ...(err.kind === 'unreachable' ? { unanswered: true } : {}),
      };
    }
    throw err;
  }
}
