import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ReserveRequest, ReserveResult } from '../guards/policy.js';
import {
  guardStateQuery,
  guardWorkflowId,
  pauseUpdate,
  remediationGuardWorkflow,
  resumeUpdate,
  reserveUpdate,
  type GuardState,
  type PauseRequest,
} from '../workflows/guard.js';

/** The remediation guard of one task queue, as its callers (the activities, the API) use it. */
export interface GuardClient {
  /** Leave to run one action on a target; the same step key gets the same answer. */
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  pause(request: PauseRequest): Promise<GuardState>;
  resume(actor: string): Promise<GuardState>;
  /** What the guard has recorded; nothing when no remediation has run yet. */
  state(): Promise<GuardState>;
}

/**
 * Every change goes through update-with-start: the guard starts on first use, so the first action ever
 * and a pause before any action both find it. It runs on the task queue the incidents run on.
 */
export function guardClient(client: Client, taskQueue: string): GuardClient {
  const workflowId = guardWorkflowId(taskQueue);
  const withGuard = (): WithStartWorkflowOperation<typeof remediationGuardWorkflow> =>
    new WithStartWorkflowOperation(remediationGuardWorkflow, {
      workflowId,
      taskQueue,
      args: [],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  return {
    reserve: (request) =>
      client.workflow.executeUpdateWithStart(reserveUpdate, {
        args: [request],
        startWorkflowOperation: withGuard(),
      }),
    pause: (request) =>
      client.workflow.executeUpdateWithStart(pauseUpdate, {
        args: [request],
        startWorkflowOperation: withGuard(),
      }),
    resume: (actor) =>
      client.workflow.executeUpdateWithStart(resumeUpdate, {
        args: [{ actor }],
        startWorkflowOperation: withGuard(),
      }),
    state: () =>
      client.workflow
        .getHandle(workflowId)
        .query(guardStateQuery)
        .catch((err: unknown) => {
          // No remediation has run yet: nothing recorded, nothing paused.
          if (err instanceof WorkflowNotFoundError) return { reservations: [] } satisfies GuardState;
          throw err;
        }),
  };
}
