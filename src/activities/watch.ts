import { readFile } from 'node:fs/promises';
import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { alertFromGeneric, genericAlertSchema } from '../domain/alert.js';
import { scoreAnomaly, DEFAULT_ANOMALY_OPTIONS } from '../domain/anomaly.js';
import { DEFAULT_FORECAST_OPTIONS, forecastThreshold } from '../domain/forecast.js';
import {
  judgeWatch,
  parseWatchFile,
  watchComparison,
  watchDedupKey,
  type Watch,
  type WatchReport,
} from '../domain/watch.js';
import { ingestGroup, type IngestConfig } from '../incidents/ingest.js';
import { cutText } from '../domain/utf8.js';
import type { Logger } from '../lib/logger.js';
import { PrometheusClient, PrometheusError } from './prometheus-client.js';
import { messageOf } from '../lib/message-of.js';

export interface WatchDeps {
  watchFile?: string;
  prometheusUrl?: string;
  temporal?: Client;
  ingest?: IngestConfig;
  logger: Logger;
  now?: () => number;
}

function unavailable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'WatchUnavailable', message, nonRetryable: true });
}

/** What evaluating the watches needs, once checked. */
interface Watching {
  prometheus: PrometheusClient;
  client: Client;
  ingest: IngestConfig;
  logger: Logger;
  now: () => number;
}

export function createWatchActivities(deps: WatchDeps) {
  return {
    /**
     * Evaluates every configured watch against Prometheus and opens (or joins) a predicted incident for
     * each series that warns. A watch whose query fails is reported and the others still run.
     */
    async evaluateWatches(): Promise<WatchReport> {
      const { watchFile, prometheusUrl, temporal, ingest } = deps;
      if (!watchFile) {
        return {
          evaluated: 0,
          warnings: [],
          problems: ['no watch file is configured (STEADFAST_WATCH_FILE)'],
        };
      }
      if (!prometheusUrl) throw unavailable('watches need PROMETHEUS_URL');
      if (!temporal || !ingest) throw unavailable('watches need a Temporal client to open incidents');
      const watches = await readWatches(watchFile);
      const watching: Watching = {
        prometheus: new PrometheusClient(prometheusUrl),
        client: temporal,
        ingest,
        logger: deps.logger,
        now: deps.now ?? Date.now,
      };
      const report: WatchReport = { evaluated: 0, warnings: [], problems: [] };
      for (const watch of watches) {
        heartbeat(watch.name);
        try {
          await evaluate(watching, watch, report);
        } catch (err) {
          if (!(err instanceof PrometheusError)) throw err;
          report.problems.push(`${watch.name}: ${err.message}`);
        }
      }
      return report;
    },
  };
}

export async function readWatches(watchFile: string): Promise<Watch[]> {
  try {
    return parseWatchFile(watchFile, await readFile(watchFile, 'utf8'));
  } catch (err) {
    throw ApplicationFailure.create({
      type: 'InvalidWatchFile',
      message: messageOf(err),
      nonRetryable: true,
    });
  }
}

/** Queries one watch's series and warns, through a predicted incident, about each series that judges so. */
async function evaluate(watching: Watching, watch: Watch, report: WatchReport): Promise<void> {
  const endSec = Math.floor(watching.now() / 1000);
  const result = await watching.prometheus.queryRange(
    watch.query,
    endSec - Math.round(watch.window / 1000),
    endSec,
    Math.max(1, Math.round(watch.step / 1000)),
  );
  // Cuts are reported, never silent: a watch over more series or points than the limits sees fewer.
  if (result.cut) report.problems.push(`${watch.name}: ${result.cut}`);
  for (const series of result.series) {
    report.evaluated++;
    if (series.cut) report.problems.push(`${watch.name}: ${series.cut}`);
    const input = { query: watch.query, labels: series.labels, times: series.times, values: series.values };
    const forecast = forecastThreshold(input, watch.threshold, {
      ...DEFAULT_FORECAST_OPTIONS,
      probabilityWindowSeconds: watch.within / 1000,
    });
    const finding = scoreAnomaly(input, {
      ...DEFAULT_ANOMALY_OPTIONS,
      recentSeconds: Math.min(300, watch.window / 4000),
    });
    const verdict = judgeWatch(watch, forecast, finding);
    if (!verdict.warn) continue;
    // One warning that cannot be sent (its series' labels are more than an alert may carry, or its
    // incident is busy) must not cost every later series and watch theirs: the next run sends it again.
    await warn(watching, watch, series.labels, verdict, report).catch((err: unknown) => {
      if (err instanceof CancelledFailure) throw err;
      report.problems.push(
        `${watch.name}: the warning of ${cutText(JSON.stringify(series.labels), 200)} was not sent: ${messageOf(err)}`,
      );
    });
  }
}

/** Opens (or joins) the predicted incident of one warning series, and reports it. */
async function warn(
  watching: Watching,
  watch: Watch,
  seriesLabels: Record<string, string>,
  verdict: { score: number; reason: string },
  report: WatchReport,
): Promise<void> {
  const labels = Object.fromEntries(Object.entries(seriesLabels).filter(([k]) => k !== '__name__'));
  const service = watch.service ?? labels['service'] ?? labels['job'];
  if (!service) {
    report.problems.push(
      `${watch.name}: a series without a service or job label; give the watch a service or keep one of them`,
    );
    return;
  }
  const comparison = watchComparison(watch);
  // The series' labels are Prometheus's answer, anyone's to set in a scraped target: the alert made of
  // them is held to the bounds of any alert the API takes.
  const generic = genericAlertSchema.safeParse({
    title: `${watch.name} predicted on ${service}`,
    description: verdict.reason,
    severity: 'predicted',
    service,
    labels: { ...watch.labels, ...labels, alertname: watch.name },
    status: 'firing',
    dedupKey: watchDedupKey(watch.name, labels),
    // As a rule on the configured Prometheus would name itself: triage reads no other server's.
    generatorURL: `${watching.prometheus.baseUrl.replace(/\/$/, '')}/graph?g0.expr=${encodeURIComponent(comparison)}`,
  });
  if (!generic.success) {
    throw new Error(`its series cannot be an alert: ${z.prettifyError(generic.error).replace(/\s+/g, ' ')}`);
  }
  const alert = alertFromGeneric(generic.data, new Date(watching.now()));
  // The incident's own detection and forecast read the same query, with its threshold (the annotation
  // reads only the series of the generatorURL's expression, so triage accepts it).
  const predicted = { ...alert, annotations: { ...alert.annotations, query: comparison } };
  const ingested = await ingestGroup(watching.client, watching.ingest, {
    commonLabels: predicted.labels,
    identity: predicted.fingerprint,
    alerts: [predicted],
  });
  report.warnings.push({
    watch: watch.name,
    series: labels,
    score: verdict.score,
    incidentId: ingested.incidentId,
    reason: verdict.reason,
  });
  watching.logger.warn(
    { event: 'watch.warning', watch: watch.name, incidentId: ingested.incidentId, score: verdict.score },
    `predicted incident for ${watch.name}: ${verdict.reason}`,
  );
}
