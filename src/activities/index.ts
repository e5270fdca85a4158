import type { Client } from '@temporalio/client';
import type Docker from 'dockerode';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { createDockerActivities } from './docker.js';
import { createLifecycleActivities } from './lifecycle.js';
import { createNotifyActivities } from './notify.js';
import { NO_HISTORY, visibilityOutcomes } from './outcomes.js';
import { createRecommendActivities, type RecommendConfig } from './recommend.js';
import { createTriageActivities, type TriageConfig } from './triage.js';

export interface ActivityDeps {
  docker: Docker;
  logger: Logger;
  metrics: Metrics;
  triage: TriageConfig;
  recommend: RecommendConfig;
  /** Where a person can see an incident (console or Temporal Web UI). */
  incidentUrl: (incidentId: string) => string;
  /** Temporal client for past outcomes (visibility); without it runbooks are ranked as untried. */
  temporal?: Client;
  now?: () => number;
}

/** Every activity of the incident workflow, wired to real clients by the worker and to test doubles by tests. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createTriageActivities(deps.triage, deps.now),
    ...createRecommendActivities(
      deps.recommend,
      deps.logger,
      deps.temporal ? visibilityOutcomes(deps.temporal) : NO_HISTORY,
    ),
    ...createDockerActivities(deps.docker),
    ...createNotifyActivities({ logger: deps.logger, incidentUrl: deps.incidentUrl }),
    ...createLifecycleActivities({ logger: deps.logger, metrics: deps.metrics }),
  };
}

export type IncidentActivities = ReturnType<typeof createActivities>;
