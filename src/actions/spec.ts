import type { z } from 'zod';
import type { RunbookScope, TargetIdentity } from '../domain/scope.js';
import type { Filler } from './fields.js';
import type { ActionName, IrreversibleAction, StepOf } from './steps.js';

/**
 * Everything Steadfast knows about one action that needs no I/O: how a runbook writes it, how it is
 * filled from an alert, how people read it, which API calls it makes, what guards count it as and
 * whether it can be undone. Its I/O side (identify, snapshot, apply, compensate) is its ActionHandler in
 * src/remediation/. Specs live one file per family (docker.ts, kubernetes.ts, http.ts, wait.ts) and
 * meet in registry.ts.
 */
export interface ActionSpec<A extends ActionName, R extends { action: A } = { action: A }> {
  /** The step as a runbook writes it, placeholders and all. */
  readonly schema: z.ZodType<R>;
  /** The step that runs for one alert. */
  fill(step: R, fill: Filler): StepOf<A>;
  /** One line for people: the timeline, Slack, reports. */
  describe(step: StepOf<A>): string;
  /**
   * The exact API calls, for a dry run and for the approver to read before approving. Counts that depend
   * on the live state (replicas now running) are named as such.
   */
  preview(step: StepOf<A>): string[];
  /**
   * What the action changes, as guards count it: one key per object, whatever the action. A resolved
   * step keys on what names exactly one object (a container's full ID, a Kubernetes UID), so a target
   * written another way still counts as the same. Undefined when it changes nothing.
   */
  target(step: StepOf<A>): string | undefined;
  /** The step, rewritten to act on exactly the object its resolved identity names. */
  bind(step: StepOf<A>, identity: TargetIdentity, scope: RunbookScope): StepOf<A>;
  readonly reversible: A extends IrreversibleAction ? false : true;
}

/** Declares one action's spec; the step type a runbook writes is read from its schema. */
export function defineAction<R extends { action: ActionName }>(
  spec: ActionSpec<R['action'], R>,
): ActionSpec<R['action'], R> {
  return spec;
}

/** A step that acts on what its text names, unchanged by resolution (HTTP, wait). */
export const unbound = <S>(step: S): S => step;
