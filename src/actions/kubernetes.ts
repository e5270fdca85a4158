import { z } from 'zod';
import type { TargetIdentity } from '../domain/scope.js';
import {
  boundsInOrder,
  boundsMessage,
  describeReplicas,
  enc,
  json,
  replicaBounds,
  template,
} from './fields.js';
import { defineAction, type ActionSpec } from './spec.js';
import type { KubernetesStep, ResourceQuantities, StepOf } from './steps.js';

/** The Kubernetes actions, through the API server a kubeconfig names. */

const cpuQuantity = z.string().regex(/^(?:\d+m|\d+(?:\.\d+)?)$/, 'a CPU quantity such as 500m or 2');
const memoryQuantity = z
  .string()
  .regex(/^\d+(?:\.\d+)?(?:Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'a memory quantity such as 256Mi or 1Gi');
const quantities = z
  .object({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() })
  .strict()
  .refine((q) => q.cpu !== undefined || q.memory !== undefined, { message: 'set cpu, memory or both' });
const namespace = template.default('default');

type OnDeployment = Exclude<KubernetesStep, { node: string }>;
type OnNode = Extract<KubernetesStep, { node: string }>;

const deploymentPath = (step: OnDeployment): string =>
  `/apis/apps/v1/namespaces/${enc(step.namespace)}/deployments/${enc(step.deployment)}`;
const deploymentKey = (step: OnDeployment): string =>
  step.uid ? `k8s/deployment/${step.uid}` : `k8s/deployment/${step.namespace}/${step.deployment}`;
const nodeKey = (step: OnNode): string => (step.uid ? `k8s/node/${step.uid}` : `k8s/node/${step.node}`);

/** The object checked is the object acted on: the action refuses one whose UID has changed since. */
function bindUid<S extends KubernetesStep>(step: S, identity: TargetIdentity): S {
  return identity.kind === 'k8s-deployment' || identity.kind === 'k8s-node'
    ? { ...step, uid: identity.uid }
    : step;
}

function describeQuantities(kind: string, q: ResourceQuantities | undefined): string {
  if (!q) return '';
  const parts = [q.cpu ? `cpu ${q.cpu}` : '', q.memory ? `memory ${q.memory}` : ''].filter(Boolean);
  return parts.length > 0 ? `${kind} ${parts.join(', ')}` : '';
}

const onDeployment = <A extends 'k8s.rollout-restart' | 'k8s.rollback'>(action: A) =>
  z.object({ action: z.literal(action), namespace, deployment: template }).strict();
const fillDeployment = <A extends 'k8s.rollout-restart' | 'k8s.rollback'>(
  s: { action: A; namespace: string; deployment: string },
  f: Parameters<ActionSpec<A>['fill']>[1],
): StepOf<A> =>
  ({
    action: s.action,
    namespace: f.value('namespace', s.namespace, 'k8s-namespace'),
    deployment: f.value('deployment', s.deployment, 'k8s-name'),
  }) as StepOf<A>;

const scale = defineAction({
  schema: z
    .object({ action: z.literal('k8s.scale'), namespace, deployment: template, ...replicaBounds })
    .strict()
    .refine(boundsInOrder, boundsMessage),
  fill: (s, f) => ({
    action: s.action,
    namespace: f.value('namespace', s.namespace, 'k8s-namespace'),
    deployment: f.value('deployment', s.deployment, 'k8s-name'),
    replicas: f.replicas(s),
  }),
  describe: (step) =>
    `scale deployment ${step.namespace}/${step.deployment} to ${describeReplicas(step.replicas)}`,
  preview: (step) => [
    `GET ${deploymentPath(step)}/scale`,
    `PATCH ${deploymentPath(step)}/scale {"spec":{"replicas":<${describeReplicas(step.replicas)}>}}`,
  ],
  target: deploymentKey,
  bind: bindUid,
  reversible: true,
});

const rolloutRestart = defineAction({
  schema: onDeployment('k8s.rollout-restart'),
  fill: fillDeployment,
  describe: (step) => `rollout-restart deployment ${step.namespace}/${step.deployment}`,
  preview: (step) => [
    `GET ${deploymentPath(step)}`,
    `PATCH ${deploymentPath(step)} {"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"<time of the snapshot>"}}}}}`,
  ],
  target: deploymentKey,
  bind: bindUid,
  reversible: false,
});

const rollback = defineAction({
  schema: onDeployment('k8s.rollback'),
  fill: fillDeployment,
  describe: (step) => `roll deployment ${step.namespace}/${step.deployment} back to its previous revision`,
  preview: (step) => [
    `GET ${deploymentPath(step)}`,
    `GET /apis/apps/v1/namespaces/${enc(step.namespace)}/replicasets?labelSelector=<the deployment's selector>`,
    `PATCH ${deploymentPath(step)} [{"op":"replace","path":"/spec/template","value":<the previous revision's pod template>}]`,
  ],
  target: deploymentKey,
  bind: bindUid,
  reversible: true,
});

const patchResources = defineAction({
  schema: z
    .object({
      action: z.literal('k8s.patch-resources'),
      namespace,
      deployment: template,
      container: template,
      requests: quantities.optional(),
      limits: quantities.optional(),
    })
    .strict()
    .refine((s) => s.requests !== undefined || s.limits !== undefined, {
      message: 'set requests, limits or both',
    }),
  fill: (s, f) => ({
    action: s.action,
    namespace: f.value('namespace', s.namespace, 'k8s-namespace'),
    deployment: f.value('deployment', s.deployment, 'k8s-name'),
    container: f.value('container', s.container, 'k8s-container'),
    ...(s.requests ? { requests: s.requests } : {}),
    ...(s.limits ? { limits: s.limits } : {}),
  }),
  describe(step) {
    const parts = [
      describeQuantities('requests', step.requests),
      describeQuantities('limits', step.limits),
    ].filter(Boolean);
    return `set ${parts.join('; ')} on container ${step.container} of deployment ${step.namespace}/${step.deployment}`;
  },
  preview: (step) => [
    `GET ${deploymentPath(step)}`,
    `PATCH ${deploymentPath(step)} ${json({
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: step.container,
                resources: {
                  ...(step.requests ? { requests: step.requests } : {}),
                  ...(step.limits ? { limits: step.limits } : {}),
                },
              },
            ],
          },
        },
      },
    })}`,
  ],
  target: deploymentKey,
  bind: bindUid,
  reversible: true,
});

const nodeSchema = <A extends 'k8s.cordon' | 'k8s.uncordon'>(action: A) =>
  z.object({ action: z.literal(action), node: template }).strict();
const nodePreview = (step: OnNode): string[] => [
  `GET /api/v1/nodes/${enc(step.node)}`,
  `PATCH /api/v1/nodes/${enc(step.node)} ${json({ spec: { unschedulable: step.action === 'k8s.cordon' } })}`,
];

const cordon = defineAction({
  schema: nodeSchema('k8s.cordon'),
  fill: (s, f) => ({ action: s.action, node: f.value('node', s.node, 'k8s-name') }),
  describe: (step) => `cordon node ${step.node}`,
  preview: nodePreview,
  target: nodeKey,
  bind: bindUid,
  reversible: true,
});

const uncordon = defineAction({
  schema: nodeSchema('k8s.uncordon'),
  fill: (s, f) => ({ action: s.action, node: f.value('node', s.node, 'k8s-name') }),
  describe: (step) => `uncordon node ${step.node}`,
  preview: nodePreview,
  target: nodeKey,
  bind: bindUid,
  reversible: true,
});

export const kubernetesActions = {
  'k8s.scale': scale,
  'k8s.rollout-restart': rolloutRestart,
  'k8s.rollback': rollback,
  'k8s.patch-resources': patchResources,
  'k8s.cordon': cordon,
  'k8s.uncordon': uncordon,
};
