import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { bindStep, describeAction } from '../actions/registry.js';
import type { ActionStep } from '../actions/steps.js';
import {
  describeIdentity,
  scopeRefusal,
  type ProtectedTargets,
  type RunbookScope,
  type TargetIdentity,
} from '../domain/scope.js';
import type { ActionRunner } from './handler.js';
import { messageOf } from '../lib/message-of.js';

export interface ResolverDeps {
  /** Reads each step's target; a step whose engine is not configured is refused before approval. */
  actions: Pick<ActionRunner, 'identify'>;
  protect: ProtectedTargets;
  /** Every address a host name resolves to (the system resolver by default). */
  resolveHost?: (hostname: string) => Promise<string[]>;
}

/**
 * The plan as it will run, bound to the objects that were checked, or why it may not run. `targets`
 * says in one line each what the steps resolved to, for the approver.
 */
export type Resolution = { ok: true; steps: ActionStep[]; targets: string[] } | { ok: false; reason: string };

export type TargetResolver = (steps: readonly ActionStep[], scope: RunbookScope) => Promise<Resolution>;

const systemResolve = async (hostname: string): Promise<string[]> =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** The message of a failure that is about the target, in words an approver can act on. */
function reasonOf(err: unknown): string {
  if (err instanceof ApplicationFailure && err.message) return err.message;
  return messageOf(err);
}

/**
 * Why a step that names its container by ID (or an ID prefix) rather than by name may not run. The engine
 * finds the container either way, but the runbook's check reads the name the alert gave
 * (`up{container="3f2a…"}` has no series), so a working fix would fail its check and be undone.
 */
function namedById(step: ActionStep, identity: TargetIdentity): string | undefined {
  if (identity.kind !== 'docker-container' || !('container' in step)) return undefined;
  const named = step.container.replace(/^\//, '');
  if (named === identity.container.name) return undefined;
  return (
    `container ${JSON.stringify(named.slice(0, 80))} is the ID of ${identity.container.name}, not its name: ` +
    'a step names its container by name, which its check reads'
  );
}

/**
 * Resolves every step's target and checks it against the runbook's scope and against what Steadfast
 * never touches. Nothing is changed: this runs before a plan is offered for approval, so that a plan
 * that reaches a person (or auto-approval) can only act on objects its runbook owns.
 */
export function createTargetResolver(deps: ResolverDeps): TargetResolver {
  const resolveHost = deps.resolveHost ?? systemResolve;

  /** The step's target, or why it may not be acted on; addresses are checked once they are known. */
  const check = async (
    step: ActionStep,
    scope: RunbookScope,
  ): Promise<{ identity: TargetIdentity } | { refusal: string }> => {
    const identity = await deps.actions.identify(step);
    const refusal = namedById(step, identity) ?? scopeRefusal(identity, scope, deps.protect);
    if (refusal) return { refusal };
    if (identity.kind !== 'http' || identity.addresses.length > 0) return { identity };
    const resolved = { ...identity, addresses: await resolveHost(identity.hostname) };
    const protect = { ...deps.protect, resolved: await ownResolved() };
    const late = scopeRefusal(resolved, scope, protect);
    return late ? { refusal: late } : { identity: resolved };
  };

  /**
   * What the host names of Steadfast's own services resolve to now, so a name in scope that resolves to
   * the same address (`temporal.svc.shop.internal` and `temporal`) is known as that service. A name that
   * does not resolve is left out: nothing can reach it by its address.
   */
  const ownResolved = async (): Promise<Record<string, string[]>> => {
    const names = [
      ...new Set(deps.protect.hostPorts.map((hp) => /^\[?(.*?)\]?:\d+$/.exec(hp)?.[1] ?? '')),
    ].filter((name) => name !== '' && isIP(name) === 0);
    const entries = await Promise.all(
      names.map(async (name) => [name, await resolveHost(name).catch(() => [])] as const),
    );
    return Object.fromEntries(entries);
  };

  return async (steps, scope) => {
    const bound: ActionStep[] = [];
    const targets: string[] = [];
    for (const [index, step] of steps.entries()) {
      const which = `step ${index + 1} (${describeAction(step)})`;
      let checked: Awaited<ReturnType<typeof check>>;
      try {
        checked = await check(step, scope);
      } catch (err) {
        return { ok: false, reason: `${which}: its target could not be checked: ${reasonOf(err)}` };
      }
      if ('refusal' in checked) return { ok: false, reason: `${which}: ${checked.refusal}` };
      const { identity } = checked;
      const described = describeIdentity(identity);
      if (described && !targets.includes(described)) targets.push(described);
      bound.push(bindStep(step, identity, scope));
    }
    return { ok: true, steps: bound, targets };
  };
}
