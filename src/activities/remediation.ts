import { activityInfo } from '@temporalio/activity';
import type { ActionEffect, ActionRequest, ActionStep, TargetSnapshot } from '../actions/steps.js';
import type { ActionRunner } from '../remediation/handler.js';

/**
 * The three remediation activities of the saga, each dispatched to the step's action handler; see
 * ActionHandler for why snapshot, apply and compensate are separate activities.
 */
export function createRemediationActivities(actions: ActionRunner) {
  return {
    /** Records the target's state before an action; `key` names the step (incident/attempt/index). */
    async snapshotTarget(step: ActionStep, key?: string): Promise<TargetSnapshot> {
      // Histories from before keys existed passed the step alone; this activity's ID within its workflow
      // stands in for them (the snapshot records it, so every retry of the apply sends the same key).
      const info = activityInfo();
      const stepKey = key ?? `${info.workflowExecution?.workflowId ?? info.activityType}/${info.activityId}`;
      return actions.snapshot(step, stepKey);
    },

    applyAction: ({ step, snapshot }: ActionRequest): Promise<ActionEffect> => actions.apply(step, snapshot),

    /** Restores what the snapshot recorded; only reversible actions are ever compensated. */
    compensateAction: ({ step, snapshot }: ActionRequest): Promise<ActionEffect> =>
      actions.compensate(step, snapshot),
  };
}
