import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { createActivities, type ActivityDeps, type IncidentActivities } from '../../src/activities/index.js';
import type { RecommendConfig } from '../../src/activities/recommend.js';
import type { TriageConfig } from '../../src/activities/triage.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { closeWithFile } from './connections.js';
import { testDocker } from './docker.js';
import { writeRunbooks } from './scenario.js';

/**
 * The real activities, wired for tests: podman's Docker API, a silent logger, short detection windows
 * (a test's Prometheus has a minute of history at most), and the given runbooks.
 */
export function testActivities(
  options: {
    runbooks: Record<string, string>;
    triage?: Partial<TriageConfig>;
    recommend?: Partial<Omit<RecommendConfig, 'runbooksDir'>>;
  } & Partial<Omit<ActivityDeps, 'triage' | 'recommend'>>,
): IncidentActivities {
  const { runbooks, triage, recommend, ...rest } = options;
  return createActivities({
    docker: testDocker(),
    logger: createLogger('silent'),
    metrics: createMetrics(),
    incidentUrl: (id) => `http://127.0.0.1:8233/namespaces/default/workflows/${id}`,
    // The remediation guard is a workflow on the test server, reached through this client.
    temporal: new Client({
      connection: closeWithFile(Connection.lazy({ address: inject('temporalAddress') })),
    }),
    ...rest,
    triage: {
      detectWindowMs: 60_000,
      detectStepMs: 1000,
      detectRecentMs: 5000,
      seasonalOffsetsMs: [86_400_000],
      ...triage,
    },
    recommend: { runbooksDir: writeRunbooks(runbooks), approvers: [], dryRun: false, ...recommend },
  });
}
