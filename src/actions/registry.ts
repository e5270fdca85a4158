import { z } from 'zod';
import type { RunbookScope, TargetIdentity } from '../domain/scope.js';
import { dockerActions } from './docker.js';
import { filler } from './fields.js';
import { httpActions } from './http.js';
import { kubernetesActions } from './kubernetes.js';
import type { ActionSpec } from './spec.js';
import type { ActionName, ActionStep } from './steps.js';
import { waitActions } from './wait.js';

/**
 * Every action Steadfast can take, by name. The type makes a missing or misfiled action a compile
 * error; adding an action means one spec here and one handler in src/remediation/.
 */
export const ACTIONS = {
  ...dockerActions,
  ...kubernetesActions,
  ...httpActions,
  ...waitActions,
} satisfies { [A in ActionName]: ActionSpec<A> };

/** A runbook step as written, placeholders and all: one of the actions' schemas. */
export type RunbookStep = { [A in ActionName]: z.output<(typeof ACTIONS)[A]['schema']> }[ActionName];

const schemas = Object.values(ACTIONS).map((spec) => spec.schema) as unknown as [
  z.ZodObject,
  ...z.ZodObject[],
];
export const stepSchema = z.discriminatedUnion('action', schemas) as unknown as z.ZodType<RunbookStep>;

/**
 * The spec of a step's action, typed for that step. TypeScript cannot relate a union-typed step to the
 * member of a mapped type it selects, so this is the one place that says they belong together.
 */
const specOf = (step: { action: ActionName }): ActionSpec<ActionName, RunbookStep> =>
  ACTIONS[step.action] as unknown as ActionSpec<ActionName, RunbookStep>;

/** The ActionStep a runbook step becomes for one alert; throws PlaceholderError on any bad label. */
export function fillStep(step: RunbookStep, labels: Record<string, string>, field: string): ActionStep {
  return specOf(step).fill(step, filler(labels, field));
}

export const describeAction = (step: ActionStep): string => specOf(step).describe(step);
export const previewAction = (step: ActionStep): string[] => specOf(step).preview(step);
export const actionTarget = (step: ActionStep): string | undefined => specOf(step).target(step);
export const isReversible = (step: ActionStep): boolean => specOf(step).reversible;
export const bindStep = (step: ActionStep, identity: TargetIdentity, scope: RunbookScope): ActionStep =>
  specOf(step).bind(step, identity, scope);
