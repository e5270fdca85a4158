import type { ActionEffect, ActionRequest, ActionStep, TargetSnapshot } from '../actions/steps.js';
import { describeAction } from '../actions/registry.js';
import { handedOverOnStop } from '../remediation/cancellation.js';
import type { ActionRunner } from '../remediation/handler.js';

/**
 * The three remediation activities of the saga, each dispatched to the step's action handler; see
 * ActionHandler for why snapshot, apply and compensate are separate activities.
 */
export function createRemediationActivities(actions: ActionRunner) {
  return {
    /** Records the target's state before an action; `key` names the step (incident/attempt/index). */
    snapshotTarget: (step: ActionStep, key: string): Promise<TargetSnapshot> =>
      handedOverOnStop(`the snapshot before ${describeAction(step)}`, () => actions.snapshot(step, key)),

    applyAction: ({ step, snapshot }: ActionRequest): Promise<ActionEffect> =>
      handedOverOnStop(describeAction(step), () => actions.apply(step, snapshot)),

    /** Restores what the snapshot recorded; only reversible actions are ever compensated. */
    compensateAction: ({ step, snapshot }: ActionRequest): Promise<ActionEffect> =>
      handedOverOnStop(`undoing ${describeAction(step)}`, () => actions.compensate(step, snapshot)),
  };
}
