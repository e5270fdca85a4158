import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Alert } from '../../src/domain/alert.js';
import { ingestGroup, type IngestConfig } from '../../src/incidents/ingest.js';
import type { RecentDeliveries } from '../../src/incidents/recent-deliveries.js';
import type { incidentWorkflow } from '../../src/workflows/incident.js';
import { DEFAULT_CORRELATION_LABELS } from '../../src/domain/correlation.js';
import { makeAlert } from './scenario.js';

/** How the tests that call ingestGroup open incidents: quick to gather, and generous with time. */
export const testIngestConfig = (taskQueue: string, maxHistoryEvents = 5000): IngestConfig => ({
  taskQueue,
  correlationLabels: DEFAULT_CORRELATION_LABELS,
  debounceMs: 100,
  maxHistoryEvents,
  maxHistoryBytes: 20 * 1_048_576,
  dryRun: false,
  temporalTimeoutMs: 10_000,
});

/**
 * Alerts of one name, delivered as Alertmanager groups them (by name and service) straight through
 * ingestGroup, as the API delivers a webhook's group. `client` is read at each call: tests connect in
 * beforeAll.
 */
export function groupIngest(client: () => Client, config: IngestConfig, alertName: string) {
  return {
    alertOf: (service: string, instance: string): Alert =>
      makeAlert({ alertName, labels: { service, instance } }),
    deliver: (alerts: Alert[], recent?: RecentDeliveries) =>
      ingestGroup(
        client(),
        config,
        {
          commonLabels: { alertname: alertName, service: alerts[0]?.labels['service'] ?? '' },
          identity: 'unused',
          alerts,
        },
        recent,
      ),
    handleOf: (id: string): WorkflowHandle<typeof incidentWorkflow> =>
      client().workflow.getHandle<typeof incidentWorkflow>(id),
  };
}
