import { ApplicationFailure } from '@temporalio/common';
import { describeAction } from '../actions/registry.js';
import type {
  ActionEffect,
  ActionName,
  ActionStep,
  IrreversibleAction,
  SnapshotOf,
  StepOf,
  TargetSnapshot,
} from '../actions/steps.js';
import type { TargetIdentity } from '../domain/scope.js';

/**
 * How one action touches the outside world; its pure side is its ActionSpec in src/actions/. The calls
 * are separate activities: `identify` reads the target for the scope check before approval, the snapshot
 * is recorded in history before anything changes, `apply` compares against it so a retried attempt never
 * acts twice, and `compensate` restores what the snapshot holds. An action has a compensation exactly
 * when it is reversible: the type requires one, or forbids it.
 */
export type ActionHandler<A extends ActionName> = {
  /** What the step's target really is (IDs, UIDs, labels), read without changing anything. */
  identify(step: StepOf<A>): Promise<TargetIdentity>;
  /** `key` is unique to this step of this incident (and stable across retries). */
  snapshot(step: StepOf<A>, key: string): Promise<SnapshotOf<A>>;
  apply(step: StepOf<A>, snapshot: SnapshotOf<A>): Promise<ActionEffect>;
} & ([A] extends [IrreversibleAction]
  ? { compensate?: never }
  : { compensate(step: StepOf<A>, snapshot: SnapshotOf<A>): Promise<ActionEffect> });

export type ActionHandlers<A extends ActionName = ActionName> = { [K in A]: ActionHandler<K> };

/** Any step, dispatched to its action's handler. */
export interface ActionRunner<S extends ActionStep = ActionStep> {
  identify(step: S): Promise<TargetIdentity>;
  snapshot(step: S, key: string): Promise<TargetSnapshot>;
  apply(step: S, snapshot: TargetSnapshot): Promise<ActionEffect>;
  compensate(step: S, snapshot: TargetSnapshot): Promise<ActionEffect>;
}

export function invalidAction(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'InvalidAction', message, nonRetryable: true });
}

/** A snapshot recorded for another action: history was tampered with, or code and history disagree. */
export function mismatch(step: ActionStep, snapshot: TargetSnapshot): ApplicationFailure {
  return invalidAction(`snapshot ${snapshot.action} does not fit action ${step.action}`);
}

/** A handler seen from the dispatcher, which has checked that step and snapshot name its action. */
interface AnyHandler {
  identify(step: ActionStep): Promise<TargetIdentity>;
  snapshot(step: ActionStep, key: string): Promise<TargetSnapshot>;
  apply(step: ActionStep, snapshot: TargetSnapshot): Promise<ActionEffect>;
  compensate?(step: ActionStep, snapshot: TargetSnapshot): Promise<ActionEffect>;
}

/** Dispatches each step to the handler of its action, after checking that its snapshot belongs to it. */
export function actionRunner<A extends ActionName>(handlers: ActionHandlers<A>): ActionRunner<StepOf<A>> {
  // TypeScript cannot relate a union-typed step to the member of a mapped type it selects: this is
  // the one place that says they belong together.
  const handlerOf = (step: ActionStep): AnyHandler => {
    const handler = (handlers as Partial<Record<ActionName, unknown>>)[step.action];
    if (!handler) throw invalidAction(`no handler for action ${step.action}`);
    return handler as AnyHandler;
  };
  const matching = (step: ActionStep, snapshot: TargetSnapshot): AnyHandler => {
    if (snapshot.action !== step.action) throw mismatch(step, snapshot);
    return handlerOf(step);
  };
  // Async throughout, so that a refusal always arrives as a rejected promise.
  return {
    identify: async (step) => handlerOf(step).identify(step),
    snapshot: async (step, key) => handlerOf(step).snapshot(step, key),
    apply: async (step, snapshot) => matching(step, snapshot).apply(step, snapshot),
    async compensate(step, snapshot) {
      const handler = matching(step, snapshot);
      if (!handler.compensate) throw invalidAction(`${describeAction(step)} cannot be undone`);
      return handler.compensate(step, snapshot);
    },
  };
}
