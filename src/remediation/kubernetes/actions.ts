import { KubeConfig } from '@kubernetes/client-node';
import { describeAction } from '../../actions/registry.js';
import { replicasWanted, type KubernetesStep, type SnapshotOf, type StepOf } from '../../actions/steps.js';
import { actionRunner, type ActionHandler, type ActionHandlers, type ActionRunner } from '../handler.js';
import {
  deploymentName,
  describeResources,
  failure,
  isObject,
  POD_TEMPLATE_HASH,
  RESTARTED_AT,
  refusePaused,
  REVISION,
  sameJson,
  sameResources,
  type JsonValue,
  KubernetesApi,
  type Resources,
} from './api.js';

type KubernetesAction = KubernetesStep['action'];

/** Every Kubernetes action first insists that the object is the one checked (see insistOnUid). */
function scale(api: KubernetesApi): ActionHandler<'k8s.scale'> {
  const setTo = async (step: StepOf<'k8s.scale'>, wanted: number, back: boolean) => {
    const now = await api.readReplicas(step);
    if (now === wanted) {
      return { acted: false, summary: `${deploymentName(step)} already has ${now} replicas` };
    }
    await api.setReplicas(step, wanted);
    return {
      acted: true,
      summary: `scaled ${deploymentName(step)}${back ? ' back' : ''} from ${now} to ${wanted} replicas`,
    };
  };
  return {
    identify: (step) => api.identify(step),
    async snapshot(step) {
      await api.insistOnUid(step);
      const replicas = await api.readReplicas(step);
      return { action: step.action, replicas, wanted: replicasWanted(step.replicas, replicas) };
    },
    apply: (step, snapshot) => setTo(step, snapshot.wanted, false),
    compensate: (step, snapshot) => setTo(step, snapshot.replicas, true),
  };
}

function rolloutRestart(api: KubernetesApi): ActionHandler<'k8s.rollout-restart'> {
  return {
    identify: (step) => api.identify(step),
    async snapshot(step) {
      await api.insistOnUid(step);
      const deployment = await api.readDeployment(step);
      refusePaused(step, deployment.spec?.paused);
      // Chosen once and recorded: every attempt writes the same value, so the rollout happens once.
      return {
        action: step.action,
        generation: deployment.metadata?.generation ?? 0,
        restartedAt: new Date().toISOString(),
      };
    },
    async apply(step, snapshot) {
      const deployment = await api.readDeployment(step);
      if (deployment.spec?.template.metadata?.annotations?.[RESTARTED_AT] === snapshot.restartedAt) {
        return {
          acted: false,
          summary: `${deploymentName(step)} was already restarted at ${snapshot.restartedAt}`,
        };
      }
      await api.restartRollout(step, snapshot.restartedAt);
      return {
        acted: true,
        summary: `restarted the pods of ${deploymentName(step)} (restartedAt ${snapshot.restartedAt})`,
      };
    },
  };
}

/** The revision before the current one, owned by this deployment, with its pod template as deployed. */
async function rollbackSnapshot(
  api: KubernetesApi,
  step: StepOf<'k8s.rollback'>,
): Promise<SnapshotOf<'k8s.rollback'>> {
  const deployment = await api.readRawDeployment(step);
  refusePaused(step, deployment.spec?.paused);
  const uid = deployment.metadata?.uid;
  const items = await api.replicaSets(step, deployment.spec?.selector);
  // The selector may also match replica sets of another deployment; only the owner's count.
  const history = items
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.controller && o.uid === uid))
    .map((rs) => ({ revision: Number(rs.metadata?.annotations?.[REVISION]), rs }))
    .filter((h) => Number.isInteger(h.revision) && h.revision > 0);
  const annotated = Number(deployment.metadata?.annotations?.[REVISION]);
  const current = Number.isInteger(annotated) ? annotated : Math.max(0, ...history.map((h) => h.revision));
  const previous = history.filter((h) => h.revision < current).sort((a, b) => b.revision - a.revision)[0];
  const target = previous?.rs.spec?.template;
  if (!previous || !target) {
    throw failure(
      'NoPreviousRevision',
      `${deploymentName(step)} has no revision before ${current} to roll back to`,
      true,
    );
  }
  const toTemplate = structuredClone(target);
  // The replica set's own label, added by the controller: it is not part of what was deployed.
  const metadata = toTemplate.metadata;
  if (isObject(metadata) && isObject(metadata.labels)) delete metadata.labels[POD_TEMPLATE_HASH];
  return {
    action: step.action,
    fromRevision: String(current),
    toRevision: String(previous.revision),
    fromTemplate: JSON.stringify(deployment.spec?.template ?? {}),
    toTemplate: JSON.stringify(toTemplate),
  };
}

function rollback(api: KubernetesApi): ActionHandler<'k8s.rollback'> {
  /** Puts `template` (JSON text from the snapshot) in place unless it already is. */
  const runTemplate = async (
    step: StepOf<'k8s.rollback'>,
    template: string,
    already: string,
    done: string,
  ) => {
    const wanted = JSON.parse(template) as JsonValue;
    const deployment = await api.readRawDeployment(step);
    if (sameJson(deployment.spec?.template, wanted)) return { acted: false, summary: already };
    await api.replaceTemplate(step, wanted);
    return { acted: true, summary: done };
  };
  return {
    identify: (step) => api.identify(step),
    async snapshot(step) {
      await api.insistOnUid(step);
      return rollbackSnapshot(api, step);
    },
    apply: (step, snapshot) =>
      runTemplate(
        step,
        snapshot.toTemplate,
        `${deploymentName(step)} already runs the template of revision ${snapshot.toRevision}`,
        `rolled ${deploymentName(step)} back from revision ${snapshot.fromRevision} to the template of revision ${snapshot.toRevision}`,
      ),
    compensate: (step, snapshot) =>
      runTemplate(
        step,
        snapshot.fromTemplate,
        `${deploymentName(step)} already runs the template of revision ${snapshot.fromRevision}`,
        `restored the template of revision ${snapshot.fromRevision} on ${deploymentName(step)}`,
      ),
  };
}

function patchResources(api: KubernetesApi): ActionHandler<'k8s.patch-resources'> {
  const already = (step: StepOf<'k8s.patch-resources'>, now: Resources) => ({
    acted: false,
    summary: `container ${step.container} of ${deploymentName(step)} already has ${describeResources(now)}`,
  });
  return {
    identify: (step) => api.identify(step),
    async snapshot(step) {
      await api.insistOnUid(step);
      return { action: step.action, resources: await api.containerResources(step) };
    },
    async apply(step, snapshot) {
      const wanted: Resources = {
        ...(step.requests ? { requests: step.requests } : {}),
        ...(step.limits ? { limits: step.limits } : {}),
      };
      const now = await api.containerResources(step);
      if (sameResources(now, wanted, false)) return already(step, now);
      await api.setResources(step, wanted, false);
      return {
        acted: true,
        summary: `${describeAction(step)} (was ${describeResources(snapshot.resources)})`,
      };
    },
    async compensate(step, snapshot) {
      const now = await api.containerResources(step);
      if (sameResources(now, snapshot.resources, true)) return already(step, now);
      await api.setResources(step, snapshot.resources, true);
      return {
        acted: true,
        summary: `restored ${describeResources(snapshot.resources)} on container ${step.container} of ${deploymentName(step)}`,
      };
    },
  };
}

/** Cordon and uncordon: each one's compensation puts the node back as the snapshot found it. */
function schedulable(api: KubernetesApi) {
  type NodeStep = StepOf<'k8s.cordon' | 'k8s.uncordon'>;
  const word = (unschedulable: boolean): string => (unschedulable ? 'cordoned' : 'schedulable');
  const read = async (step: NodeStep) => {
    await api.insistOnUid(step);
    return { unschedulable: await api.readUnschedulable(step.node) };
  };
  const apply = async (step: NodeStep) => {
    const wanted = step.action === 'k8s.cordon';
    if ((await api.readUnschedulable(step.node)) === wanted) {
      return { acted: false, summary: `node ${step.node} is already ${word(wanted)}` };
    }
    await api.setUnschedulable(step.node, wanted);
    return { acted: true, summary: `${wanted ? 'cordoned' : 'uncordoned'} node ${step.node}` };
  };
  const restore = async (step: NodeStep, snapshot: { unschedulable: boolean }) => {
    if ((await api.readUnschedulable(step.node)) === snapshot.unschedulable) {
      return { acted: false, summary: `node ${step.node} is already ${word(snapshot.unschedulable)}` };
    }
    await api.setUnschedulable(step.node, snapshot.unschedulable);
    return {
      acted: true,
      summary: `${snapshot.unschedulable ? 'cordoned' : 'uncordoned'} node ${step.node} again, as it was`,
    };
  };
  const cordon: ActionHandler<'k8s.cordon'> = {
    identify: (step) => api.identify(step),
    snapshot: async (step) => ({ action: step.action, ...(await read(step)) }),
    apply,
    compensate: restore,
  };
  const uncordon: ActionHandler<'k8s.uncordon'> = {
    identify: (step) => api.identify(step),
    snapshot: async (step) => ({ action: step.action, ...(await read(step)) }),
    apply,
    compensate: restore,
  };
  return { cordon, uncordon };
}

/** The Kubernetes actions, through the API server named by the kubeconfig. */
export function kubernetesHandlers(kc: KubeConfig): ActionHandlers<KubernetesAction> {
  const api = new KubernetesApi(kc);
  const { cordon, uncordon } = schedulable(api);
  return {
    'k8s.scale': scale(api),
    'k8s.rollout-restart': rolloutRestart(api),
    'k8s.rollback': rollback(api),
    'k8s.patch-resources': patchResources(api),
    'k8s.cordon': cordon,
    'k8s.uncordon': uncordon,
  };
}

/** The handlers for the cluster a kubeconfig file names (its current context). */
export function kubernetesHandlersFromFile(path: string): ActionHandlers<KubernetesAction> {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kubernetesHandlers(kc);
}

export const kubernetesRunner = (kc: KubeConfig): ActionRunner<KubernetesStep> =>
  actionRunner(kubernetesHandlers(kc));
