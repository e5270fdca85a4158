import Docker from 'dockerode';
import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { ingestConfigFrom } from '../incidents/ingest.js';
import { workflowUiUrl } from '../temporal/connection.js';
import type { TokenStore } from './auth.js';
import { errorHandler, HttpError } from './errors.js';
import { jsonBody } from './json-body.js';
import { codecFor } from '../temporal/codec.js';
import { createOncallReader } from '../oncall/load.js';
import { alertRoutes } from './routes/alerts.js';
import { clusterRoutes } from './routes/clusters.js';
import { codecRoutes } from './routes/codec.js';
import { consoleRoutes } from './routes/console.js';
import { fleetRoutes } from './routes/fleet.js';
import type { FleetHistory } from '../fleet/history.js';
import { severityRoutes } from './routes/severity.js';
import { healthRoutes, metricsRoute } from './routes/health.js';
import { incidentRoutes } from './routes/incidents.js';
import { ingestRoutes } from './routes/ingest.js';
import { oncallRoutes } from './routes/oncall.js';
import { openApiRoutes } from './routes/openapi.js';
import { remediationRoutes } from './routes/remediation.js';
import { reportRoutes } from './routes/reports.js';
import { runbookRoutes } from './routes/runbooks.js';
import { verdictRoutes } from './routes/verdicts.js';
import { ruleRoutes } from './routes/rules.js';
import { configuredPrometheus } from '../domain/metrics-source.js';

export interface AppDeps {
  settings: Settings;
  client: Client;
  tokens: TokenStore;
  metrics: Metrics;
  logger: Logger;
  /** Bound on each Temporal call made for a request. */
  temporalTimeoutMs?: number;
  /** Slack's interactivity endpoint (POST /slack/events), which verifies Slack's signatures itself. */
  slack?: Router;
  /** The engine the fleet view reads; default: one on settings.dockerSocket. */
  docker?: Docker;
  /** The fleet sampler's samples, for each container's risk (src/fleet/sampler.ts). */
  fleetHistory?: FleetHistory;
}

export function createApp(deps: AppDeps): Express {
  const { settings, client, tokens, metrics, logger } = deps;
  const temporalTimeoutMs = deps.temporalTimeoutMs ?? 5000;
  const workflowUrl = (id: string): string =>
    workflowUiUrl(settings.temporal.uiUrl, settings.temporal.namespace, id);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use(requestLog(metrics, logger));

  app.use(metricsRoute(metrics));
  if (deps.slack) app.use(deps.slack);
  const api = express.Router();
  const json = jsonBody(settings.api.maxBodyBytes);
  api.use(healthRoutes({ client, temporalTimeoutMs, tokens }));
  api.use(
    ingestRoutes({
      client,
      metrics,
      tokens,
      json,
      incidentUrl: workflowUrl,
      config: ingestConfigFrom(settings, temporalTimeoutMs),
      newIncidentsPerMinute: settings.maxNewIncidentsPerMinute,
    }),
  );
  api.use(incidentRoutes({ client, tokens, metrics, json, temporalTimeoutMs, workflowUrl }));
  api.use(alertRoutes({ client, tokens, temporalTimeoutMs, workflowUrl }));
  api.use(clusterRoutes({ client, tokens, metrics, json, temporalTimeoutMs, workflowUrl }));
  api.use(
    runbookRoutes({
      tokens,
      runbooksDir: settings.runbooksDir,
      approvers: settings.approvers,
      prometheus: configuredPrometheus(settings).urls,
    }),
  );
  const oncall = settings.oncallFile ? createOncallReader(settings.oncallFile, logger) : undefined;
  api.use(oncallRoutes({ tokens, ...(oncall ? { oncall } : {}) }));
  api.use(openApiRoutes());
  api.use(
    remediationRoutes({ client, tokens, json, temporalTimeoutMs, taskQueue: settings.temporal.taskQueue }),
  );
  api.use(learningRoutes(deps, json, temporalTimeoutMs));
  api.use(
    reportRoutes({
      client,
      tokens,
      logger,
      temporalTimeoutMs,
      reportsDir: settings.reportsDir,
      workflowUrl,
    }),
  );
  const codec = codecFor(settings.temporal.codecKeys);
  api.use(
    codecRoutes({
      tokens,
      ...(codec ? { codec } : {}),
      namespace: settings.temporal.namespace,
      uiUrl: settings.temporal.uiUrl,
    }),
  );
  api.use(
    fleetRoutes({
      tokens,
      metrics,
      selector: settings.fleetSelector,
      docker: deps.docker ?? new Docker({ socketPath: settings.dockerSocket }),
      ...(settings.kubeconfig ? { kubeconfig: settings.kubeconfig } : {}),
      ...(deps.fleetHistory ? { history: deps.fleetHistory } : {}),
    }),
  );
  app.use('/api/v1', api);
  app.use(consoleRoutes());
  app.use((_req, _res) => {
    throw new HttpError(404, 'NotFound', 'no such endpoint');
  });
  app.use(errorHandler(logger));
  return app;
}

/** Logs each request at debug level, with its token's identity, and counts it by route and status. */
function requestLog(metrics: Metrics, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      metrics.requests.inc({ route: `${req.baseUrl}${route}`, code: String(res.statusCode) });
      logger.debug({
        event: 'api.request',
        method: req.method,
        path: req.path,
        status: res.statusCode,
        // Whose token it was: a sender flooding the API is found by it (docs/security.md).
        identity: res.locals.principal?.identity,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
    next();
  };
}

/** What people teach Steadfast: escalation rules, severity corrections, verdicts. */
function learningRoutes(deps: AppDeps, json: RequestHandler, temporalTimeoutMs: number): Router {
  const { settings, client, tokens, metrics, logger } = deps;
  const taskQueue = settings.temporal.taskQueue;
  const router = express.Router();
  router.use(
    ruleRoutes({
      client,
      tokens,
      json,
      temporalTimeoutMs,
      taskQueue,
      configured: {
        slack: settings.notify.slack !== undefined,
        email: settings.notify.smtp !== undefined,
        rotation: settings.oncallFile !== undefined,
      },
    }),
  );
  router.use(severityRoutes({ client, tokens, json, temporalTimeoutMs, taskQueue }));
  router.use(
    verdictRoutes({
      client,
      tokens,
      metrics,
      logger,
      json,
      temporalTimeoutMs,
      taskQueue,
    }),
  );
  return router;
}
