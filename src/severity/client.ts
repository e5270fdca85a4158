import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
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

/** Lessons go through update-with-start, so the first lesson ever finds the model. */
export function severityClient(client: Client, taskQueue: string): SeverityClient {
  const workflowId = severityWorkflowId(taskQueue);
  const handle = () => client.workflow.getHandle(workflowId);
  const untaught = (err: unknown): void => {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  };
  return {
    learn: (request) =>
      client.workflow.executeUpdateWithStart(learnUpdate, {
        args: [request],
        startWorkflowOperation: new WithStartWorkflowOperation(severityModelWorkflow, {
          workflowId,
          taskQueue,
          args: [],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
    suggest: async (alert) => {
      const features = severityFeatures(alert);
      try {
        return await handle().query(suggestQuery, { features, label: alert.severity });
      } catch (err) {
        untaught(err);
        return suggest(emptyModel(), features, alert.severity);
      }
    },
    summary: async () => {
      try {
        return await handle().query(summaryQuery);
      } catch (err) {
        untaught(err);
        return { examples: [], features: 0, lessons: 0, corrections: [] };
      }
    },
  };
}
