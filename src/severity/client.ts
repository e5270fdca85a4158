import type { Client } from '@temporalio/client';
import { entityHandle } from '../incidents/entity.js';
import type { Alert } from '../domain/alert.js';
import {
  learnUpdate,
  severityModelWorkflow,
  severityWorkflowId,
  suggestQuery,
  summaryQuery,
  type LearnRequest,
  type SeveritySummary,
} from '../workflows/severity.js';
import { severityFeatures } from './features.js';
import { emptyModel, suggest, type Suggestion } from './model.js';

/** The severity model of one task queue, as the triage activity and the API use it. */
export interface SeverityClient {
  learn(request: LearnRequest): Promise<SeveritySummary>;
  /** The model's view of an alert; a model never taught answers "still learning". */
  suggest(alert: Pick<Alert, 'alertName' | 'labels' | 'annotations' | 'severity'>): Promise<Suggestion>;
  summary(): Promise<SeveritySummary>;
}

/** The model of one task queue (see entityHandle): a model never taught suggests as a young one does. */
export function severityClient(client: Client, taskQueue: string): SeverityClient {
  const model = entityHandle(client, severityModelWorkflow, severityWorkflowId(taskQueue), taskQueue);
  return {
    learn: (request) => model.update(learnUpdate, request),
    suggest: (alert) => {
      const features = severityFeatures(alert);
      const untaught = suggest(emptyModel(), features, alert.severity);
      return model.query(suggestQuery, untaught, { features, label: alert.severity });
    },
    summary: () => model.query(summaryQuery, { examples: [], features: 0, lessons: 0, corrections: [] }),
  };
}
