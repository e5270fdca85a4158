import { activityInfo } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ReserveRequest, ReserveResult } from '../guards/policy.js';
import { guardClient } from '../incidents/guard.js';

/**
 * Asks the remediation guard for leave to act on a target. The guard decides requests one at a time
 * (see remediationGuardWorkflow); a retried activity sends the same step key and gets the same answer.
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
      // The guard runs on the worker that runs the incidents, whose queue this activity is on.
      return guardClient(deps.temporal, activityInfo().taskQueue).reserve(request);
    },
  };
}
