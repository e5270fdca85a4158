/**
 * Runs the incident worker alone (scale out by starting more on the same task queue).
 * Usage: tsx worker.ts — configured by the environment; see docs/configuration.md. Its activities record most of
 * the product's metrics, so it serves /metrics itself (STEADFAST_WORKER_METRICS_PORT, 0 for none), and
 * with OTEL_EXPORTER_OTLP_ENDPOINT set it sends traces (docs/tracing.md).
 */
import express from 'express';
import { metricsRoute } from './src/api/routes/health.js';
import { listen } from './src/api/server.js';
import { loadSettings } from './src/config/settings.js';
import { logCrashes } from './src/lib/crash-log.js';
import { createLogger } from './src/lib/logger.js';
import { installTemporalLogging } from './src/lib/temporal-logger.js';
import { createMetrics, startWorker } from './src/system.js';
import { startTracing } from './src/telemetry/index.js';
import { giveUpStalledStop } from './src/temporal/worker.js';

const settings = loadSettings();
const logger = createLogger(settings.logLevel, settings.logFormat);
logCrashes(logger);
installTemporalLogging(logger);
// Before the worker and its clients are made: they take their part of tracing when created.
const tracing = await startTracing(settings.telemetry, 'steadfast-worker', logger);
const metrics = createMetrics();
const worker = await startWorker(settings, logger, metrics);
giveUpStalledStop(settings.workerDrainMs, logger);
const server =
  settings.workerMetricsPort > 0
    ? await listen(express().use(metricsRoute(metrics)), settings.api.host, settings.workerMetricsPort)
    : undefined;
if (server)
  logger.info({ event: 'worker.metrics', url: `${server.url}/metrics` }, `metrics on ${server.url}/metrics`);
// A worker that fails still closes its metrics and sends its spans.
await worker.done.catch((err: unknown) => {
  logger.fatal({ event: 'worker.failed', err }, err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
await server?.close();
// Sends the spans still buffered: the last activities' and the workflows' that ended on shutdown.
await tracing?.shutdown();
