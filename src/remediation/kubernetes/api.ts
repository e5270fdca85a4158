import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1LabelSelector,
} from '@kubernetes/client-node';
import { describeAction } from '../../actions/registry.js';
import type { KubernetesStep, ResourceQuantities } from '../../actions/steps.js';
import type { TargetIdentity } from '../../domain/scope.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
export const POD_TEMPLATE_HASH = 'pod-template-hash';

export type Resources = { requests?: ResourceQuantities; limits?: ResourceQuantities };
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Deployments and ReplicaSets as the API server sends them, read through the client's untyped calls:
 * its typed models drop every field newer than the client, and a rollback must copy a pod template
 * whole.
 */
interface RawMetadata {
  name?: string;
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { uid: string; controller?: boolean }[];
}
interface RawWorkload {
  metadata?: RawMetadata;
  spec?: { selector?: V1LabelSelector; template?: JsonObject; paused?: boolean };
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function rawWorkload(value: unknown): RawWorkload {
  if (!isObject(value)) throw new Error('the API server sent something other than an object');
  return value;
}

export function failure(type: string, message: string, nonRetryable: boolean): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable });
}

/** The reason the API server gave (a Status object), without the client's dump of every header. */
function statusMessage(err: ApiException<unknown>): string {
  const body: unknown = err.body;
  if (typeof body === 'string') {
    try {
      const status: unknown = JSON.parse(body);
      if (isObject(status) && typeof status.message === 'string') return status.message;
    } catch {
      // not JSON: the body itself is the best account there is
    }
    return body.slice(0, 500);
  }
  return err.code === 401 ? 'Unauthorized' : `HTTP ${err.code}`;
}

/**
 * Turns the API server's refusals into failures the workflow can act on: a missing object or missing
 * rights will not change on retry, while conflicts, throttling and server errors may.
 */
function translate(err: unknown, what: string): unknown {
  if (!(err instanceof ApiException)) return err;
  const reason = statusMessage(err as ApiException<unknown>);
  switch (err.code) {
    case 404:
      return failure('KubernetesObjectNotFound', `${what} does not exist (${reason})`, true);
    case 401:
    case 403:
      return failure('KubernetesForbidden', `Kubernetes refused access to ${what}: ${reason}`, true);
    case 400:
    case 422:
      return failure('KubernetesRejected', `Kubernetes rejected the change to ${what}: ${reason}`, true);
    default:
      return failure('KubernetesApiError', `Kubernetes API error on ${what} (${err.code}): ${reason}`, false);
  }
}

/** Parses a Kubernetes quantity (`500m`, `0.5`, `1Gi`, `1e3`), so that equal amounts compare equal. */
export function parseQuantity(text: string): number | undefined {
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/.exec(
    text.trim(),
  );
  if (!match?.[1]) return undefined;
  const number = Number(match[1]);
  if (match[2]) return number * 10 ** Number(match[2].slice(1));
  const scale: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
  };
  return number * (match[3] ? (scale[match[3]] ?? 1) : 1);
}

function sameQuantity(a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  if (x === undefined || y === undefined) return false;
  return Math.abs(x - y) <= 1e-12 * Math.max(Math.abs(x), Math.abs(y));
}

/** Equal as JSON values, whatever the order of object keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]))
    );
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!sameJson(a[key], b[key])) return false;
    return true;
  }
  return a === b;
}

/** A label selector in the query syntax of `?labelSelector=`. */
export function selectorQuery(selector: V1LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of selector?.matchExpressions ?? []) {
    const values = (req.values ?? []).join(',');
    if (req.operator === 'In') parts.push(`${req.key} in (${values})`);
    else if (req.operator === 'NotIn') parts.push(`${req.key} notin (${values})`);
    else if (req.operator === 'Exists') parts.push(req.key);
    else if (req.operator === 'DoesNotExist') parts.push(`!${req.key}`);
  }
  return parts.join(',');
}

/** Only cpu and memory: the only resources an action sets, so the only ones it must restore. */
function pickQuantities(map: Record<string, string> | undefined): ResourceQuantities | undefined {
  if (!map) return undefined;
  const picked: ResourceQuantities = {
    ...(map.cpu !== undefined ? { cpu: map.cpu } : {}),
    ...(map.memory !== undefined ? { memory: map.memory } : {}),
  };
  return picked.cpu === undefined && picked.memory === undefined ? undefined : picked;
}

export function describeResources(r: Resources): string {
  const part = (kind: string, q: ResourceQuantities | undefined): string => {
    const items = [q?.cpu ? `cpu ${q.cpu}` : '', q?.memory ? `memory ${q.memory}` : ''].filter(Boolean);
    return `${kind} ${items.length > 0 ? items.join(', ') : 'none'}`;
  };
  return `${part('requests', r.requests)}; ${part('limits', r.limits)}`;
}

/** Whether every quantity `wanted` names is what `actual` holds; absent in `wanted` means absent. */
export function sameResources(actual: Resources, wanted: Resources, exact: boolean): boolean {
  for (const kind of ['requests', 'limits'] as const) {
    for (const name of ['cpu', 'memory'] as const) {
      const want = wanted[kind]?.[name];
      if (want === undefined && !exact) continue;
      if (!sameQuantity(actual[kind]?.[name], want)) return false;
    }
  }
  return true;
}

type Named = { namespace: string; deployment: string };
type PatchResources = Extract<KubernetesStep, { action: 'k8s.patch-resources' }>;

const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export const deploymentName = (step: Named): string => `deployment ${step.namespace}/${step.deployment}`;

/** `null` removes a key in a strategic merge patch, which is how a restore drops what was not there. */
function patchQuantities(
  q: ResourceQuantities | undefined,
  removeAbsent: boolean,
): Record<string, string | null> | undefined {
  const out: Record<string, string | null> = {};
  for (const name of ['cpu', 'memory'] as const) {
    const value = q?.[name];
    if (value !== undefined) out[name] = value;
    else if (removeAbsent) out[name] = null;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A paused deployment takes a new template without rolling it out: the action would seem done and not be. */
export function refusePaused(step: Extract<KubernetesStep, { deployment: string }>, paused?: boolean): void {
  if (paused) {
    throw failure(
      'DeploymentPaused',
      `${deploymentName(step)} is paused: resume it (kubectl rollout resume) before: ${describeAction(step)}`,
      true,
    );
  }
}

/** The API calls the Kubernetes actions share: each beats, and the server's refusals are translated. */
export class KubernetesApi {
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  readonly raw: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.raw = kc.makeApiClient(CustomObjectsApi);
  }

  /** Every API call goes through here: a heartbeat first, and the server's refusals translated. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    heartbeat();
    try {
      return await fn();
    } catch (err) {
      throw translate(err, what);
    }
  }

  readDeployment(step: Named) {
    return this.call(deploymentName(step), () =>
      this.apps.readNamespacedDeployment({ name: step.deployment, namespace: step.namespace }),
    );
  }

  async readRawDeployment(step: Named): Promise<RawWorkload> {
    const found: unknown = await this.call(deploymentName(step), () =>
      this.raw.getNamespacedCustomObject({
        group: 'apps',
        version: 'v1',
        namespace: step.namespace,
        plural: 'deployments',
        name: step.deployment,
      }),
    );
    return rawWorkload(found);
  }

  async readReplicas(step: Named): Promise<number> {
    const scale = await this.call(deploymentName(step), () =>
      this.apps.readNamespacedDeploymentScale({ name: step.deployment, namespace: step.namespace }),
    );
    return scale.spec?.replicas ?? 0;
  }

  async setReplicas(step: Named, replicas: number): Promise<void> {
    await this.call(deploymentName(step), () =>
      this.apps.patchNamespacedDeploymentScale(
        { name: step.deployment, namespace: step.namespace, body: { spec: { replicas } } },
        merge,
      ),
    );
  }

  /** Sets the pod template's restartedAt annotation, as `kubectl rollout restart` does. */
  async restartRollout(step: Named, restartedAt: string): Promise<void> {
    const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } } };
    await this.call(deploymentName(step), () =>
      this.apps.patchNamespacedDeployment(
        { name: step.deployment, namespace: step.namespace, body },
        strategic,
      ),
    );
  }

  async replaceTemplate(step: Named, template: JsonValue): Promise<void> {
    // A replace, not a merge: fields the other template lacks must go, as `kubectl rollout undo` does.
    const body = [{ op: 'replace', path: '/spec/template', value: template }];
    await this.call(deploymentName(step), () =>
      this.apps.patchNamespacedDeployment(
        { name: step.deployment, namespace: step.namespace, body },
        jsonPatch,
      ),
    );
  }

  /** The replica sets a label selector matches, as the API server sends them. */
  async replicaSets(step: Named, selector: V1LabelSelector | undefined): Promise<RawWorkload[]> {
    const list: unknown = await this.call(`replica sets of ${deploymentName(step)}`, () =>
      this.raw.listNamespacedCustomObject({
        group: 'apps',
        version: 'v1',
        namespace: step.namespace,
        plural: 'replicasets',
        labelSelector: selectorQuery(selector),
      }),
    );
    return isObject(list) && Array.isArray(list.items) ? list.items.map(rawWorkload) : [];
  }

  async containerResources(step: PatchResources): Promise<Resources> {
    const deployment = await this.readDeployment(step);
    const containers = deployment.spec?.template.spec?.containers ?? [];
    const container = containers.find((c) => c.name === step.container);
    if (!container) {
      throw failure(
        'ContainerNotFound',
        `${deploymentName(step)} has no container ${step.container} (it has ${containers.map((c) => c.name).join(', ') || 'none'})`,
        true,
      );
    }
    const requests = pickQuantities(container.resources?.requests);
    const limits = pickQuantities(container.resources?.limits);
    return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
  }

  async setResources(step: PatchResources, resources: Resources, removeAbsent: boolean): Promise<void> {
    const requests = patchQuantities(resources.requests, removeAbsent);
    const limits = patchQuantities(resources.limits, removeAbsent);
    const container = {
      name: step.container,
      resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) },
    };
    const body = { spec: { template: { spec: { containers: [container] } } } };
    await this.call(deploymentName(step), () =>
      this.apps.patchNamespacedDeployment(
        { name: step.deployment, namespace: step.namespace, body },
        strategic,
      ),
    );
  }

  async readUnschedulable(node: string): Promise<boolean> {
    const found = await this.call(`node ${node}`, () => this.core.readNode({ name: node }));
    return found.spec?.unschedulable ?? false;
  }

  async setUnschedulable(node: string, unschedulable: boolean): Promise<void> {
    await this.call(`node ${node}`, () =>
      this.core.patchNode({ name: node, body: { spec: { unschedulable } } }, strategic),
    );
  }

  async identify(step: KubernetesStep): Promise<TargetIdentity> {
    if (step.action === 'k8s.cordon' || step.action === 'k8s.uncordon') {
      const node = await this.call(`node ${step.node}`, () => this.core.readNode({ name: step.node }));
      const { uid = '', labels = {} } = node.metadata ?? {};
      return { kind: 'k8s-node', name: step.node, uid, labels };
    }
    const deployment = await this.readDeployment(step);
    const { uid = '', labels = {} } = deployment.metadata ?? {};
    return { kind: 'k8s-deployment', namespace: step.namespace, name: step.deployment, uid, labels };
  }

  /** A step resolved to one object acts on that object only: a replacement under its name is refused. */
  async insistOnUid(step: KubernetesStep): Promise<void> {
    if (!step.uid) return;
    const now = await this.identify(step);
    if (now.kind !== 'none' && 'uid' in now && now.uid !== step.uid) {
      throw failure(
        'TargetChanged',
        `${describeAction(step)}: the object now has UID ${now.uid}, not the ${step.uid} that was checked and approved; nothing was changed`,
        true,
      );
    }
  }
}
