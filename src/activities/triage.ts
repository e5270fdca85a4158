import type { Alert } from '../domain/alert.js';
import { DEFAULT_ANOMALY_OPTIONS, scoreAnomaly } from '../domain/anomaly.js';
import { forecastThreshold } from '../domain/forecast.js';
import type { DetectionResult, PredictionResult } from '../domain/incident.js';
import { exprFromGeneratorURL, parseAlertCondition, prometheusFromGeneratorURL } from '../domain/promql.js';
import { formatValue } from '../domain/series.js';
import { PrometheusClient, PrometheusError, type RangeSeries } from './prometheus-client.js';

export interface TriageConfig {
  /** Configured Prometheus; when absent, the alert's generatorURL names one. */
  prometheusUrl?: string;
  detectWindowMs: number;
  detectStepMs: number;
  /** The end of the window that counts as "now" against the baseline before it. */
  detectRecentMs: number;
  /** How far back to look for the same time of day (e.g. 1d, 2d, 7d): the seasonal baseline. */
  seasonalOffsetsMs: number[];
}

/** The series of a result that belongs to the alert: its labels are all among the alert's labels. */
function seriesOfAlert(result: RangeSeries[], alertLabels: Record<string, string>): RangeSeries | undefined {
  return (
    result.find((s) =>
      Object.entries(s.labels).every(([k, v]) => k === '__name__' || alertLabels[k] === v),
    ) ?? result[0]
  );
}

export function createTriageActivities(config: TriageConfig, now: () => number = Date.now) {
  const windowSec = Math.round(config.detectWindowMs / 1000);
  const stepSec = Math.max(1, Math.round(config.detectStepMs / 1000));

  /**
   * The same window on previous days, oldest first, from Prometheus's own history, so no separate
   * baseline store is needed. Days outside retention simply return nothing.
   */
  const seasonalHistory = async (
    client: PrometheusClient,
    query: string,
    labels: Record<string, string>,
    endSec: number,
  ): Promise<{ values: number[]; days: number }> => {
    const offsets = [...config.seasonalOffsetsMs].sort((a, b) => b - a).map((ms) => Math.round(ms / 1000));
    const windows = await Promise.all(
      offsets.map((off) =>
        client
          .queryRange(query, endSec - off - windowSec, endSec - off, stepSec)
          .then((r) => seriesOfAlert(r, labels)?.values ?? [])
          .catch(() => [] as number[]),
      ),
    );
    return { values: windows.flat(), days: windows.filter((w) => w.length > 0).length };
  };

  const clientFor = (alert: Alert | null, known?: string): PrometheusClient | undefined => {
    const url = config.prometheusUrl ?? known ?? prometheusFromGeneratorURL(alert?.generatorURL);
    return url ? new PrometheusClient(url) : undefined;
  };

  return {
    /** Queries the alert's series and scores its recent values against its own baseline. */
    async detectAnomaly({ alert }: { alert: Alert | null }): Promise<DetectionResult> {
      const query = alert?.annotations['query'] ?? exprFromGeneratorURL(alert?.generatorURL);
      const client = clientFor(alert);
      if (!query || !client) {
        return {
          status: 'no-metrics-source',
          message: !query
            ? 'no anomaly score: the alert carries no PromQL expression (no generatorURL or query annotation)'
            : 'no anomaly score: no Prometheus is configured (PROMETHEUS_URL) and the alert names none',
        };
      }
      const condition = parseAlertCondition(query);
      const base = {
        query: condition.series,
        prometheusUrl: client.baseUrl,
        ...(condition.threshold ? { threshold: condition.threshold } : {}),
      };
      const endSec = Math.floor(now() / 1000);
      let result: RangeSeries[];
      try {
        result = await client.queryRange(condition.series, endSec - windowSec, endSec, stepSec);
      } catch (err) {
        if (err instanceof PrometheusError) {
          return { ...base, status: 'unreachable', message: `no anomaly score: ${err.message}` };
        }
        throw err;
      }
      const series = seriesOfAlert(result, alert?.labels ?? {});
      if (!series || series.values.length === 0) {
        return {
          ...base,
          status: 'no-data',
          message: `no anomaly score: ${condition.series} returned no data`,
        };
      }
      const seriesOut = { times: series.times, values: series.values, labels: series.labels };
      const seasonal = await seasonalHistory(client, condition.series, alert?.labels ?? {}, endSec);
      const finding = scoreAnomaly(
        { query: condition.series, ...seriesOut },
        {
          ...DEFAULT_ANOMALY_OPTIONS,
          recentSeconds: config.detectRecentMs / 1000,
          ...(alert ? { startedAt: Date.parse(alert.startsAt) / 1000 } : {}),
          ...(seasonal.days > 0 ? { seasonal } : {}),
        },
      );
      if (!finding) {
        return {
          ...base,
          series: seriesOut,
          status: 'insufficient-history',
          message: `no anomaly score: only ${series.values.length} points of ${condition.series}, too little history`,
        };
      }
      return {
        ...base,
        series: seriesOut,
        status: 'scored',
        finding,
        message: `anomaly score ${finding.score}: ${finding.reason}`,
      };
    },

    /** Fits the trend of the detected series and says when it crosses the alert's threshold. */
    async forecastTrend({ detection }: { detection: DetectionResult }): Promise<PredictionResult> {
      if (!detection.series) {
        return { status: 'no-data', message: 'no forecast: there is no series to fit' };
      }
      const forecast = forecastThreshold(
        { query: detection.query ?? '', ...detection.series },
        detection.threshold,
      );
      if (!forecast) return { status: 'no-data', message: 'no forecast: too few points to fit a trend' };
      return { status: 'forecast', forecast, message: `forecast: ${forecast.summary}` };
    },

    /**
     * Whether a PromQL condition holds now: it returns at least one sample (or a non-zero scalar).
     * Without PROMETHEUS_URL, the Prometheus that raised the alert is asked.
     */
    async checkCondition({
      promql,
      prometheusUrl,
    }: {
      promql: string;
      prometheusUrl?: string;
    }): Promise<{ holds: boolean; message: string }> {
      const client = clientFor(null, prometheusUrl);
      if (!client)
        return { holds: false, message: 'no Prometheus is configured (PROMETHEUS_URL) to verify with' };
      try {
        const result = await client.query(promql);
        if (result.kind === 'scalar') {
          return { holds: result.value !== 0, message: `${promql} = ${formatValue(result.value)}` };
        }
        const first = result.samples[0];
        return first
          ? {
              holds: true,
              message: `${promql} holds (${result.samples.length} series, first ${formatValue(first.value)})`,
            }
          : { holds: false, message: `${promql} returned no series` };
      } catch (err) {
        if (err instanceof PrometheusError) return { holds: false, message: err.message };
        throw err;
      }
    },
  };
}
