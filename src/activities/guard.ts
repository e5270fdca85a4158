import { activityInfo } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ReserveRequest, ReserveResult } from '../guards/policy.js';
import { guardWorkflowId, remediationGuardWorkflow, reserveUpdate } from '../workflows/guard.js';

/**
 * Asks the remediation guard for leave to act on a target. Update-with-start creates the guard the
 * first time it is needed, and the guard decides requests one at a time (see remediationGuardWorkflow).
 * A retried activity sends the same step key and gets the same answer.
 */
export function createGuardActivities(deps: { temporal?: Client }) {
  return {
    async reserveAction(request: ReserveRequest): Promise<ReserveResult> {
      if (!deps.temporal) {
        throw ApplicationFailure.create({
          type: 'GuardUnavailable',
          message: 'the remediation guard needs a Temporal client; nothing was run',
          nonRetryable: true,
        });
      }
      return deps.temporal.workflow.executeUpdateWithStart(reserveUpdate, {
        args: [request],
        startWorkflowOperation: new WithStartWorkflowOperation(remediationGuardWorkflow, {
          // The guard runs on the worker that runs the incidents, whose queue this activity is on.
          workflowId: guardWorkflowId(activityInfo().taskQueue),
          taskQueue: activityInfo().taskQueue,
          args: [],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
    },
  };
}
