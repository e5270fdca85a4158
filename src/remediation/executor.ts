import { ApplicationFailure } from '@temporalio/common';
import type { ActionEffect, ActionStep, TargetSnapshot } from '../actions/steps.js';
import type { TargetIdentity } from '../domain/scope.js';

/**
 * How one family of actions (Docker, Kubernetes, HTTP) touches the outside world. The three calls are
 * separate activities: the snapshot is recorded in history before anything changes, `apply` compares
 * against it so a retried attempt never acts twice, and `compensate` restores what the snapshot holds.
 */
export interface ActionExecutor<S extends ActionStep = ActionStep> {
  /** `key` is unique to this step of this incident (and stable across retries). */
  snapshot(step: S, key: string): Promise<TargetSnapshot>;
  apply(step: S, snapshot: TargetSnapshot): Promise<ActionEffect>;
  compensate(step: S, snapshot: TargetSnapshot): Promise<ActionEffect>;
}

/**
 * Reads what a step's target really is (IDs, UIDs, labels) without changing anything, so that the
 * target can be checked against its runbook's scope before anyone is asked to approve.
 */
export interface TargetIdentifier<S extends ActionStep = ActionStep> {
  identify(step: S): Promise<TargetIdentity>;
}

export function invalidAction(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'InvalidAction', message, nonRetryable: true });
}

/** A snapshot recorded for another action: history was tampered with, or code and history disagree. */
export function mismatch(step: ActionStep, snapshot: TargetSnapshot): ApplicationFailure {
  return invalidAction(`snapshot ${snapshot.action} does not fit action ${step.action}`);
}
