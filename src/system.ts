import Docker from 'dockerode';
import { createActivities } from './activities/index.js';
import { loadRunbooks } from './activities/recommend.js';
import { loadCalendar } from './activities/calendar.js';
import type { Calendar } from './domain/calendar.js';
import { unknownRotations } from './oncall/check.js';
import { createOncallReader } from './oncall/load.js';
import type { Oncall } from './oncall/resolve.js';
import { runbookWarnings } from './domain/runbook.js';
import { configuredPrometheus } from './domain/metrics-source.js';
import { ownTargets } from './remediation/self.js';
import type { ActionHandlers } from './remediation/handler.js';
import type { KubernetesStep } from './actions/steps.js';
import { createApp } from './api/app.js';
import { TokenStore } from './api/auth.js';
import { listen, type RunningServer } from './api/server.js';
import type { Settings } from './config/settings.js';
import type { Logger } from './lib/logger.js';
import { createMetrics, type Metrics } from './lib/metrics.js';
import { dataConverterFor } from './temporal/codec.js';
import { connectWorker, createClient, workflowUiUrl } from './temporal/connection.js';
import { ensureSearchAttributes } from './temporal/search-attributes-setup.js';
import { ensureWatchSchedule } from './temporal/watch-schedule.js';
import { bundleInChildProcess } from './temporal/bundle.js';
import { createIncidentWorker } from './temporal/worker.js';
import { tracingWorkflowModules } from './telemetry/index.js';
import { ingestConfigFrom } from './incidents/ingest.js';
import { createFleetReader } from './fleet/collect.js';
import { startFleetSampler, type FleetSampler } from './fleet/sampler.js';
import { consoleIncidentUrl } from './slack/links.js';

export interface RunningPart {
  /** Resolves when the part stops (worker shutdown); rejects if it fails. */
  done: Promise<void>;
  stop: () => Promise<void>;
}

/**
 * The Kubernetes client adds about 130 MB to the process once imported, more than the rest of a worker
 * at rest: it is loaded only when a cluster is configured.
 */
async function kubernetesFrom(kubeconfig: string): Promise<ActionHandlers<KubernetesStep['action']>> {
  const { kubernetesHandlersFromFile } = await import('./remediation/kubernetes/actions.js');
  return kubernetesHandlersFromFile(kubeconfig);
}

/** The activities' dependencies, from the settings: every outside part a workflow's activity may call. */
async function activitiesFor(
  settings: Settings,
  logger: Logger,
  metrics: Metrics,
  client: Awaited<ReturnType<typeof createClient>>,
  oncall: (() => Oncall) | undefined,
): Promise<ReturnType<typeof createActivities>> {
  return createActivities({
    docker: new Docker({ socketPath: settings.dockerSocket }),
    ...(settings.kubeconfig ? { kubernetes: await kubernetesFrom(settings.kubeconfig) } : {}),
    protect: ownTargets({
      temporalAddress: settings.temporal.address,
      apiHost: settings.api.host,
      apiPort: settings.api.port,
      metricsPort: settings.workerMetricsPort,
    }),
    logger,
    metrics,
    triage: {
      ...(settings.prometheusUrl ? { prometheusUrl: settings.prometheusUrl } : {}),
      prometheusUrls: settings.prometheusUrls,
      detectWindowMs: settings.detectWindowMs,
      detectStepMs: settings.detectStepMs,
      detectRecentMs: settings.detectRecentMs,
      seasonalOffsetsMs: settings.seasonalOffsetsMs,
    },
    recommend: {
      runbooksDir: settings.runbooksDir,
      approvers: settings.approvers,
      dryRun: settings.dryRun,
      guards: settings.guards,
      autoApproveLowRisk: settings.autoApproveLowRisk,
      ...(settings.escalationWebhook ? { escalationWebhookUrl: settings.escalationWebhook } : {}),
    },
    incidentUrl: (id) => workflowUiUrl(settings.temporal.uiUrl, settings.temporal.namespace, id),
    postmortemUrl: (id) => consoleIncidentUrl(settings.consoleUrl, id),
    temporal: client,
    reportsDir: settings.reportsDir,
    ...(settings.alertmanagerUrl ? { silences: { alertmanagerUrl: settings.alertmanagerUrl } } : {}),
    ...(settings.calendarFile ? { calendar: { file: settings.calendarFile } } : {}),
    notify: settings.notify,
    ...(oncall ? { oncall } : {}),
    watch: {
      ...(settings.watchFile ? { file: settings.watchFile } : {}),
      ingest: ingestConfigFrom(settings),
    },
  });
}

/** The worker: runs incident workflows and their activities on the configured task queue. */
export async function startWorker(
  settings: Settings,
  logger: Logger,
  metrics: Metrics,
): Promise<RunningPart> {
  // A calendar with a mistake fails the start, naming file and line: a freeze must never be misread.
  const calendar = settings.calendarFile ? loadCalendar(settings.calendarFile) : undefined;
  // So does an on-call file with a mistake: an escalation must not be the first to find it.
  const oncall = settings.oncallFile ? createOncallReader(settings.oncallFile, logger) : undefined;
  const rotations = oncall?.();
  const client = await createClient(settings.temporal);
  await ensureSearchAttributes(client, settings.temporal.namespace, logger);
  await warnUnapprovable(settings, logger, calendar, rotations);
  const connection = await connectWorker(settings.temporal);
  const activities = await activitiesFor(settings, logger, metrics, client, oncall);
  if (settings.watchFile) {
    await ensureWatchSchedule(client, {
      taskQueue: settings.temporal.taskQueue,
      intervalMs: settings.watchIntervalMs,
    });
    logger.info(
      { event: 'watch.scheduled', file: settings.watchFile, intervalMs: settings.watchIntervalMs },
      'watch schedule ready',
    );
  }
  const worker = await createIncidentWorker({
    connection,
    namespace: settings.temporal.namespace,
    taskQueue: settings.temporal.taskQueue,
    activities,
    dataConverter: dataConverterFor(settings.temporal.codecKeys),
    workflowBundle: await bundleInChildProcess(tracingWorkflowModules()),
    cacheSize: settings.workflowCacheSize,
    drainMs: settings.workerDrainMs,
  });
  const done = worker.run().finally(async () => {
    await connection.close();
    await client.connection.close();
  });
  logger.info(
    {
      event: 'worker.started',
      taskQueue: settings.temporal.taskQueue,
      namespace: settings.temporal.namespace,
    },
    'worker started',
  );
  return {
    done,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

/** The API: webhook ingestion, incidents, decisions, health and metrics. */
export async function startApi(
  settings: Settings,
  logger: Logger,
  metrics: Metrics,
): Promise<RunningPart & { server: RunningServer }> {
  const tokens = await TokenStore.load(settings.auth);
  const client = await createClient(settings.temporal);
  // Bolt is loaded only when Slack is configured: a process without Slack never holds it in memory.
  const slack = settings.slack
    ? (await import('./slack/approvals.js')).createSlackApprovals({
        ...settings.slack,
        temporal: client,
        logger,
        chatops: { taskQueue: settings.temporal.taskQueue, approvers: settings.approvers },
        metrics,
      })
    : undefined;
  const docker = new Docker({ socketPath: settings.dockerSocket });
  const sampler = startSampler(settings, docker, metrics, logger);
  const app = createApp({
    settings,
    client,
    tokens,
    metrics,
    logger,
    docker,
    ...(sampler ? { fleetHistory: sampler.history } : {}),
    ...(slack?.router ? { slack: slack.router } : {}),
  });
  const server = await listen(app, settings.api.host, settings.api.port);
  logger.info({ event: 'api.started', url: server.url }, `API listening on ${server.url}`);
  if (slack && !slack.router) {
    // Not awaited: Slack being down must not keep alerts out; the client keeps reconnecting by itself.
    slack.start().then(
      () => logger.info({ event: 'slack.socket-connected' }, 'Slack Socket Mode connected'),
      (err: unknown) =>
        logger.error({ event: 'slack.socket-failed', err }, 'Slack Socket Mode could not connect'),
    );
  }
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let stopping: Promise<void> | undefined;
  return {
    server,
    done,
    // Idempotent: a signal and the normal shutdown path may both ask.
    stop: () =>
      (stopping ??= (async () => {
        sampler?.stop();
        await server.close();
        await slack
          ?.stop()
          .catch((err: unknown) =>
            logger.warn({ event: 'slack.stop-failed', err }, 'Slack did not stop cleanly'),
          );
        await client.connection.close();
        resolveDone();
      })()),
  };
}

export { createMetrics };

/** The fleet sampler of the API (its risk forecasts and gauges), unless STEADFAST_FLEET_SAMPLE_INTERVAL is 0s. */
function startSampler(
  settings: Settings,
  docker: Docker,
  metrics: Metrics,
  logger: Logger,
): FleetSampler | undefined {
  if (settings.fleetSampleIntervalMs <= 0) return undefined;
  return startFleetSampler({
    read: createFleetReader(docker, { selector: settings.fleetSelector }),
    intervalMs: settings.fleetSampleIntervalMs,
    // An hour of samples at the default interval; a longer interval keeps a longer past.
    capacity: 240,
    gauges: {
      memoryShare: metrics.fleetMemoryShare,
      cpuCores: metrics.fleetCpuCores,
      risk: metrics.fleetRisk,
    },
    logger,
  });
}

/** Says at start which runbooks nobody could approve, rather than when an incident waits on one. */
async function warnUnapprovable(
  settings: Settings,
  logger: Logger,
  calendar?: Calendar,
  oncall?: Oncall,
): Promise<void> {
  const { runbooks } = await loadRunbooks(settings.runbooksDir, logger);
  const context = { approvers: settings.approvers, prometheus: configuredPrometheus(settings).urls };
  for (const runbook of runbooks) {
    for (const { event, message } of runbookWarnings(runbook, context)) {
      logger.warn({ event, runbook: runbook.id }, message);
    }
    const hours = runbook.hours;
    if (hours !== undefined && !calendar?.time_intervals.some((t) => t.name === hours)) {
      logger.warn(
        { event: 'runbook.unknown-hours', runbook: runbook.id, hours },
        `runbook ${runbook.id} is limited to hours "${hours}", which ${calendar ? `${calendar.file} does not define` : 'no calendar defines (STEADFAST_CALENDAR_FILE is unset)'}: it is never approved automatically`,
      );
    }
    for (const unknown of unknownRotations(runbook, oncall)) {
      logger.warn(
        { event: 'runbook.unknown-rotation', runbook: runbook.id, rotation: unknown.rotation },
        `runbook ${runbook.id}: ${unknown.message}`,
      );
    }
  }
}
