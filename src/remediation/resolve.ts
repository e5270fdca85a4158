import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import type { ActionStep, DockerStep, KubernetesStep } from '../actions/steps.js';
import { describeAction } from '../actions/describe.js';
import {
  describeIdentity,
  scopeRefusal,
  type ProtectedTargets,
  type RunbookScope,
  type TargetIdentity,
} from '../domain/scope.js';
import type { TargetIdentifier } from './executor.js';

export interface ResolverDeps {
  docker: TargetIdentifier<DockerStep>;
  /** Absent when no cluster is configured: a Kubernetes step is then refused before approval. */
  kubernetes?: TargetIdentifier<KubernetesStep>;
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
  return err instanceof Error ? err.message : String(err);
}

const isOnContainer = (step: ActionStep): step is Exclude<DockerStep, { action: 'docker.scale' }> =>
  step.action.startsWith('docker.') && step.action !== 'docker.scale';

/** The step, rewritten to act on exactly the object its identity names. */
function bind(step: ActionStep, identity: TargetIdentity, scope: RunbookScope): ActionStep {
  if (identity.kind === 'docker-container' && isOnContainer(step)) {
    const bound = { ...step, container: identity.container.id, containerName: identity.container.name };
    // The network by the name the engine gave it (names are unique), not the ID prefix an alert may give.
    return 'network' in bound && identity.network ? { ...bound, network: identity.network.name } : bound;
  }
  if (step.action === 'docker.scale') return { ...step, selector: { ...scope.docker?.labels } };
  if (
    (identity.kind === 'k8s-deployment' || identity.kind === 'k8s-node') &&
    step.action.startsWith('k8s.')
  ) {
    return { ...step, uid: identity.uid } as ActionStep;
  }
  return step;
}

/**
 * Resolves every step's target and checks it against the runbook's scope and against what Steadfast
 * never touches. Nothing is changed: this runs before a plan is offered for approval, so that a plan
 * that reaches a person (or auto-approval) can only act on objects its runbook owns.
 */
export function createTargetResolver(deps: ResolverDeps): TargetResolver {
  const resolveHost = deps.resolveHost ?? systemResolve;

  const identify = async (step: ActionStep): Promise<TargetIdentity> => {
    if (step.action.startsWith('docker.')) return deps.docker.identify(step as DockerStep);
    if (step.action.startsWith('k8s.')) {
      if (!deps.kubernetes) throw new Error('no Kubernetes cluster is configured (set KUBECONFIG)');
      return deps.kubernetes.identify(step as KubernetesStep);
    }
    if (step.action === 'http.call') return httpTarget(step.url);
    return { kind: 'none' };
  };

  /**
   * An HTTP target as its URL names it. A host name's addresses are looked up only once the name has
   * passed the scope (see `check`): an alert must not make Steadfast query DNS for names of its choosing.
   */
  const httpTarget = (url: string): Extract<TargetIdentity, { kind: 'http' }> => {
    const parsed = new URL(url);
    const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    const schemePort = parsed.protocol === 'https:' ? '443' : '80';
    const addresses = isIP(hostname) ? [hostname] : [];
    return { kind: 'http', hostname, port: parsed.port || schemePort, schemePort, addresses };
  };

  /** The step's target, or why it may not be acted on; addresses are checked once they are known. */
  const check = async (
    step: ActionStep,
    scope: RunbookScope,
  ): Promise<{ identity: TargetIdentity } | { refusal: string }> => {
    const identity = await identify(step);
    const refusal = scopeRefusal(identity, scope, deps.protect);
    if (refusal) return { refusal };
    if (identity.kind !== 'http' || identity.addresses.length > 0) return { identity };
    const resolved = { ...identity, addresses: await resolveHost(identity.hostname) };
    const late = scopeRefusal(resolved, scope, deps.protect);
    return late ? { refusal: late } : { identity: resolved };
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
      bound.push(bind(step, identity, scope));
    }
    return { ok: true, steps: bound, targets };
  };
}
