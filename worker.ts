/**
 * Runs the incident worker alone (scale out by starting more on the same task queue).
 * Usage: tsx worker.ts — configured by the environment; see docs/configuration.md. Its activities record most of
 * the product's metrics, so it serves /metrics itself (STEADFAST_WORKER_METRICS_PORT, 0 for none).
 */
import express from 'express';
import { metricsRoute } from './src/api/routes/health.js';
import { listen } from './src/api/server.js';
import { loadSettings } from './src/config/settings.js';
import { createLogger } from './src/lib/logger.js';
import { installTemporalLogging } from './src/lib/temporal-logger.js';
import { createMetrics, startWorker } from './src/system.js';

const settings = loadSettings();
const logger = createLogger(settings.logLevel, settings.logFormat);
installTemporalLogging(logger);
const metrics = createMetrics();
const worker = await startWorker(settings, logger, metrics);
const server =
  settings.workerMetricsPort > 0
    ? await listen(express().use(metricsRoute(metrics)), settings.api.host, settings.workerMetricsPort)
    : undefined;
if (server)
  logger.info({ event: 'worker.metrics', url: `${server.url}/metrics` }, `metrics on ${server.url}/metrics`);
await worker.done;
await server?.close();
