import type { ActionStep, ReplicaTarget, ResourceQuantities } from './steps.js';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(2))}${units[unit]}`;
}

/** Resource limits as the timeline shows them; zero means no limit. */
export function describeLimits(memoryBytes: number, nanoCpus: number): string {
  return `memory ${memoryBytes ? formatBytes(memoryBytes) : 'unlimited'}, cpus ${nanoCpus ? nanoCpus / 1e9 : 'unlimited'}`;
}

export function describeReplicas(target: ReplicaTarget): string {
  const wanted =
    target.absolute !== undefined
      ? `${target.absolute}`
      : `${(target.delta ?? 0) >= 0 ? '+' : ''}${target.delta ?? 0}`;
  return `${wanted} replicas (kept within ${target.min}–${target.max})`;
}

function describeQuantities(kind: string, q: ResourceQuantities | undefined): string {
  if (!q) return '';
  const parts = [q.cpu ? `cpu ${q.cpu}` : '', q.memory ? `memory ${q.memory}` : ''].filter(Boolean);
  return parts.length > 0 ? `${kind} ${parts.join(', ')}` : '';
}

/**
 * A container as people know it: a resolved step acts on the ID (its target and preview say so), but
 * reads by the name the engine gave.
 */
export function containerOf(step: { container: string; containerName?: string }): string {
  return step.containerName ?? step.container;
}

export function describeAction(step: ActionStep): string {
  switch (step.action) {
    case 'docker.restart':
      return `restart container ${containerOf(step)}`;
    case 'docker.stop':
      return `stop container ${containerOf(step)}`;
    case 'docker.start':
      return `start container ${containerOf(step)}`;
    case 'docker.update-resources': {
      const parts = [
        step.memoryBytes !== undefined ? `memory ${formatBytes(step.memoryBytes)}` : '',
        step.nanoCpus !== undefined ? `cpus ${step.nanoCpus / 1e9}` : '',
      ].filter(Boolean);
      return `set ${parts.join(', ')} on container ${containerOf(step)}`;
    }
    case 'docker.scale':
      return `scale service ${step.service} to ${describeReplicas(step.replicas)}`;
    case 'docker.network-disconnect':
      return `disconnect container ${containerOf(step)} from network ${step.network}`;
    case 'docker.network-connect':
      return `connect container ${containerOf(step)} to network ${step.network}`;
    case 'k8s.scale':
      return `scale deployment ${step.namespace}/${step.deployment} to ${describeReplicas(step.replicas)}`;
    case 'k8s.rollout-restart':
      return `rollout-restart deployment ${step.namespace}/${step.deployment}`;
    case 'k8s.rollback':
      return `roll deployment ${step.namespace}/${step.deployment} back to its previous revision`;
    case 'k8s.patch-resources': {
      const parts = [
        describeQuantities('requests', step.requests),
        describeQuantities('limits', step.limits),
      ].filter(Boolean);
      return `set ${parts.join('; ')} on container ${step.container} of deployment ${step.namespace}/${step.deployment}`;
    }
    case 'k8s.cordon':
      return `cordon node ${step.node}`;
    case 'k8s.uncordon':
      return `uncordon node ${step.node}`;
    case 'http.call':
      return `call ${step.method} ${step.url}`;
    case 'wait':
      return `wait ${Math.round(step.ms / 1000)}s`;
  }
}

/**
 * Whether the action has an undo. A restart does not (the old process is gone), nor does a call to a
 * service's own endpoint or a wait.
 */
export function isReversible(step: ActionStep): boolean {
  switch (step.action) {
    case 'docker.restart':
    case 'k8s.rollout-restart':
    case 'http.call':
    case 'wait':
      return false;
    default:
      return true;
  }
}

/**
 * What the action changes, as guards count it: one key per container, service, deployment, node or
 * endpoint, whatever the action. Resolved steps key on what names exactly one object (a container's
 * full ID, a Kubernetes UID), so a target written another way still counts as the same. A wait changes
 * nothing.
 */
export function actionTarget(step: ActionStep): string | undefined {
  switch (step.action) {
    case 'docker.restart':
    case 'docker.stop':
    case 'docker.start':
    case 'docker.update-resources':
    case 'docker.network-disconnect':
    case 'docker.network-connect':
      return `docker/container/${step.container}`;
    case 'docker.scale':
      return `docker/service/${step.label}=${step.service}`;
    case 'k8s.scale':
    case 'k8s.rollout-restart':
    case 'k8s.rollback':
    case 'k8s.patch-resources':
      return step.uid ? `k8s/deployment/${step.uid}` : `k8s/deployment/${step.namespace}/${step.deployment}`;
    case 'k8s.cordon':
    case 'k8s.uncordon':
      return step.uid ? `k8s/node/${step.uid}` : `k8s/node/${step.node}`;
    case 'http.call': {
      const url = new URL(step.url);
      return `http/${url.host}${url.pathname}`;
    }
    case 'wait':
      return undefined;
  }
}

/** The label filters that find a Docker service's replicas: its service label and the scope's labels. */
export function serviceFilter(step: {
  label: string;
  service: string;
  selector?: Record<string, string>;
}): string[] {
  return [
    `${step.label}=${step.service}`,
    ...Object.entries(step.selector ?? {}).map(([key, value]) => `${key}=${value}`),
  ];
}

const enc = encodeURIComponent;
const json = (value: unknown): string => JSON.stringify(value);
const deployment = (ns: string, name: string): string =>
  `/apis/apps/v1/namespaces/${enc(ns)}/deployments/${enc(name)}`;

/**
 * The exact API calls an action makes, for a dry run and for the approver to read before approving.
 * Counts that depend on the live state (replicas now running) are named as such.
 */
export function previewAction(step: ActionStep): string[] {
  switch (step.action) {
    case 'docker.restart':
      return [
        `GET /containers/${enc(step.container)}/json`,
        `POST /containers/${enc(step.container)}/restart?t=${step.stopTimeoutSeconds}`,
      ];
    case 'docker.stop':
      return [
        `GET /containers/${enc(step.container)}/json`,
        `POST /containers/${enc(step.container)}/stop?t=${step.stopTimeoutSeconds}`,
      ];
    case 'docker.start':
      return [`GET /containers/${enc(step.container)}/json`, `POST /containers/${enc(step.container)}/start`];
    case 'docker.update-resources':
      return [
        `GET /containers/${enc(step.container)}/json`,
        `POST /containers/${enc(step.container)}/update ${json({
          ...(step.memoryBytes !== undefined ? { Memory: step.memoryBytes } : {}),
          ...(step.nanoCpus !== undefined ? { NanoCpus: step.nanoCpus } : {}),
        })}`,
      ];
    case 'docker.scale':
      return [
        `GET /containers/json?all=true&filters=${json({ label: serviceFilter(step) })}`,
        `for each replica to add: POST /containers/{stopped replica}/start, or POST /containers/create (a copy of the newest replica) then POST /containers/{new}/start`,
        `for each replica to remove: POST /containers/{newest replica}/stop?t=10`,
      ];
    case 'docker.network-disconnect':
      return [
        `GET /containers/${enc(step.container)}/json`,
        `POST /networks/${enc(step.network)}/disconnect ${json({ Container: step.container })}`,
      ];
    case 'docker.network-connect':
      return [
        `GET /containers/${enc(step.container)}/json`,
        `POST /networks/${enc(step.network)}/connect ${json({ Container: step.container })}`,
      ];
    case 'k8s.scale':
      return [
        `GET ${deployment(step.namespace, step.deployment)}/scale`,
        `PATCH ${deployment(step.namespace, step.deployment)}/scale {"spec":{"replicas":<${describeReplicas(step.replicas)}>}}`,
      ];
    case 'k8s.rollout-restart':
      return [
        `GET ${deployment(step.namespace, step.deployment)}`,
        `PATCH ${deployment(step.namespace, step.deployment)} {"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"<time of the snapshot>"}}}}}`,
      ];
    case 'k8s.rollback':
      return [
        `GET ${deployment(step.namespace, step.deployment)}`,
        `GET /apis/apps/v1/namespaces/${enc(step.namespace)}/replicasets?labelSelector=<the deployment's selector>`,
        `PATCH ${deployment(step.namespace, step.deployment)} [{"op":"replace","path":"/spec/template","value":<the previous revision's pod template>}]`,
      ];
    case 'k8s.patch-resources':
      return [
        `GET ${deployment(step.namespace, step.deployment)}`,
        `PATCH ${deployment(step.namespace, step.deployment)} ${json({
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
      ];
    case 'k8s.cordon':
    case 'k8s.uncordon':
      return [
        `GET /api/v1/nodes/${enc(step.node)}`,
        `PATCH /api/v1/nodes/${enc(step.node)} ${json({ spec: { unschedulable: step.action === 'k8s.cordon' } })}`,
      ];
    case 'http.call':
      return [`${step.method} ${step.url}${step.body !== undefined ? ` ${step.body}` : ''}`];
    case 'wait':
      return [];
  }
}
