import { activityInfo } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type Docker from 'dockerode';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { createAnnounceActivities } from './announce.js';
import { createAnnounceWebhookActivities } from './announce-webhooks.js';
import { createCalendarActivities, type CalendarConfig } from './calendar.js';
import { createGuardActivities } from './guard.js';
import { createLifecycleActivities } from './lifecycle.js';
import { createNotifyActivities } from './notify.js';
import { NO_HISTORY, visibilityOutcomes } from './outcomes.js';
import { createRecommendActivities, type RecommendConfig } from './recommend.js';
import { createRemediationActivities } from './remediation.js';
import { createSilenceActivities, type SilenceConfig } from './silences.js';
import { createTriageActivities, type TriageAdvisors, type TriageConfig } from './triage.js';
import { verdictLedger } from '../verdicts/client.js';
import { flaggedSentence } from '../verdicts/summary.js';
import { severityClient } from '../severity/client.js';
import { createWatchActivities } from './watch.js';
import type { IngestConfig } from '../incidents/ingest.js';
import type { NotifyChannels } from '../notify/settings.js';
import type { Oncall } from '../oncall/resolve.js';
import type { ProtectedTargets } from '../domain/scope.js';
import { createActionRunner, type KubernetesHandlers } from '../remediation/registry.js';
import { createTargetResolver } from '../remediation/resolve.js';
import { rulesReader } from '../rules/client.js';
import { callFromActivity } from './temporal-call.js';

export interface ActivityDeps {
  docker: Docker;
  /** Kubernetes actions; without it, a Kubernetes step fails as KubernetesNotConfigured. */
  kubernetes?: KubernetesHandlers;
  /** Steadfast's own services, never acted on whatever a runbook's scope says. */
  protect?: ProtectedTargets;
  logger: Logger;
  metrics: Metrics;
  triage: TriageConfig;
  recommend: RecommendConfig;
  /** Where a person can see an incident (console or Temporal Web UI). */
  incidentUrl: (incidentId: string) => string;
  /** Where a person gets a closed incident's postmortem draft (the console); linked in Slack. */
  postmortemUrl?: (incidentId: string) => string;
  /** Temporal client for past outcomes (visibility) and predicted incidents; without it runbooks rank as untried. */
  temporal?: Client;
  /** Escalation channels besides logs and webhooks (Slack, SMTP). */
  notify?: NotifyChannels;
  /** The on-call file as it is now, for escalations to a rotation; without it they are not configured. */
  oncall?: () => Oncall;
  /** Watches: the file of watched queries, and how predicted incidents are opened. */
  watch?: { file?: string; ingest: IngestConfig };
  /** Where each closed incident's report is written; without it none is. */
  reportsDir?: string;
  /** Alertmanager, for silences while a remediation runs; without its URL nothing is silenced. */
  silences?: SilenceConfig;
  /** The change calendar; without its file nothing is frozen. */
  calendar?: CalendarConfig;
  now?: () => number;
}

const ADVICE_TIMEOUT_MS = 3000;

/**
 * The severity model and the verdict ledger of the task queue the triage activity runs on, where the
 * incidents (and both of them) run. The ledger is asked for a few seconds at most: it is advice.
 */
function triageAdvisors(temporal: Client): TriageAdvisors {
  return {
    severity: (alert) => {
      const model = severityClient(temporal, activityInfo().taskQueue);
      return callFromActivity(temporal, ADVICE_TIMEOUT_MS, () => model.suggest(alert));
    },
    noise: async (alert) => {
      const ledger = verdictLedger(temporal, activityInfo().taskQueue);
      const source = { alertName: alert.alertName, service: alert.labels['service'] ?? '' };
      return flaggedSentence(
        await callFromActivity(temporal, ADVICE_TIMEOUT_MS, () => ledger.flagged(source)),
      );
    },
  };
}

/** Every activity of the incident workflow, wired to real clients by the worker and to test doubles by tests. */
export function createActivities(deps: ActivityDeps) {
  const actions = createActionRunner({
    docker: deps.docker,
    ...(deps.kubernetes ? { kubernetes: deps.kubernetes } : {}),
  });
  return {
    ...createTriageActivities(
      // A watch's predicted incidents carry the watch's own expression, which triage then reads.
      { ...deps.triage, ...(deps.watch?.file ? { watchFile: deps.watch.file } : {}) },
      deps.now,
      deps.temporal ? triageAdvisors(deps.temporal) : {},
    ),
    ...createRecommendActivities(
      deps.recommend,
      deps.logger,
      createTargetResolver({
        actions,
        protect: deps.protect ?? { containerIds: [], hostPorts: [] },
      }),
      deps.temporal ? visibilityOutcomes(deps.temporal) : NO_HISTORY,
      deps.temporal ? rulesReader(deps.temporal) : undefined,
    ),
    ...createRemediationActivities(actions),
    ...createGuardActivities(deps.temporal ? { temporal: deps.temporal } : {}),
    ...createNotifyActivities({
      logger: deps.logger,
      incidentUrl: deps.incidentUrl,
      ...(deps.notify ? { channels: deps.notify } : {}),
      ...(deps.oncall ? { oncall: deps.oncall } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    }),
    ...createLifecycleActivities({
      logger: deps.logger,
      metrics: deps.metrics,
      ...(deps.temporal ? { temporal: deps.temporal } : {}),
      ...(deps.reportsDir
        ? {
            reports: {
              dir: deps.reportsDir,
              workflowUrl: deps.incidentUrl,
              ...(deps.temporal ? { temporal: deps.temporal } : {}),
            },
          }
        : {}),
    }),
    ...createAnnounceActivities({
      logger: deps.logger,
      workflowUrl: deps.incidentUrl,
      ...(deps.postmortemUrl ? { postmortemUrl: deps.postmortemUrl } : {}),
      ...(deps.notify?.slack ? { slack: deps.notify.slack } : {}),
    }),
    ...createAnnounceWebhookActivities({ logger: deps.logger, incidentUrl: deps.incidentUrl }),
    ...createSilenceActivities(deps.silences ?? {}, deps.logger),
    ...createCalendarActivities(
      { ...deps.calendar, ...(deps.now && !deps.calendar?.now ? { now: deps.now } : {}) },
      deps.logger,
    ),
    ...createWatchActivities({
      logger: deps.logger,
      ...(deps.watch?.file ? { watchFile: deps.watch.file } : {}),
      ...(deps.watch ? { ingest: deps.watch.ingest } : {}),
      ...(deps.triage.prometheusUrl ? { prometheusUrl: deps.triage.prometheusUrl } : {}),
      ...(deps.temporal ? { temporal: deps.temporal } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    }),
  };
}

export type IncidentActivities = ReturnType<typeof createActivities>;
