import type { HeaderValue } from '../secrets/headers.js';

/**
 * Remediation actions after their placeholders have been filled in and checked: plain data that the
 * workflow records and the remediation activities execute. No field ever reaches a shell.
 */
/**
 * Once a plan's targets are resolved, `container` holds the container's full ID (Docker also takes a
 * name or any ID prefix, so only the ID names one object) and `containerName` its name, for people.
 */
interface OnContainer {
  container: string;
  containerName?: string;
}

export type DockerStep =
  | ({ action: 'docker.restart'; stopTimeoutSeconds: number } & OnContainer)
  | ({ action: 'docker.stop'; stopTimeoutSeconds: number } & OnContainer)
  | ({ action: 'docker.start' } & OnContainer)
  | ({ action: 'docker.update-resources'; memoryBytes?: number; nanoCpus?: number } & OnContainer)
  /**
   * Replicas of a service are the containers carrying `label=service` (Compose's own label by default)
   * and, once resolved, every label of the runbook's scope (`selector`).
   */
  | {
      action: 'docker.scale';
      label: string;
      service: string;
      replicas: ReplicaTarget;
      selector?: Record<string, string>;
    }
  | ({ action: 'docker.network-disconnect'; network: string } & OnContainer)
  | ({ action: 'docker.network-connect'; network: string } & OnContainer);

/** Resource quantities as Kubernetes writes them (`500m`, `256Mi`). */
export interface ResourceQuantities {
  cpu?: string;
  memory?: string;
}

/** `uid`, set once the plan's targets are resolved: the object checked, which the action insists on. */
export type KubernetesStep =
  | { action: 'k8s.scale'; namespace: string; deployment: string; replicas: ReplicaTarget; uid?: string }
  | { action: 'k8s.rollout-restart'; namespace: string; deployment: string; uid?: string }
  | { action: 'k8s.rollback'; namespace: string; deployment: string; uid?: string }
  | {
      action: 'k8s.patch-resources';
      namespace: string;
      deployment: string;
      container: string;
      requests?: ResourceQuantities;
      limits?: ResourceQuantities;
      uid?: string;
    }
  | { action: 'k8s.cordon'; node: string; uid?: string }
  | { action: 'k8s.uncordon'; node: string; uid?: string };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type OtherStep =
  | {
      action: 'http.call';
      method: HttpMethod;
      url: string;
      /**
       * Text, or a secret by reference that the activity reads when it calls (plans made before
       * references hold text only, and still run as they did).
       */
      headers: Record<string, HeaderValue>;
      body?: string;
      expectStatus: number[];
      timeoutMs: number;
      /**
       * What its host name resolved to when the plan was checked against its scope: the call connects to
       * these only, so a name whose DNS answer changes after the check (rebinding) cannot move it
       * elsewhere. Absent in plans made before, and for an address written as such.
       */
      addresses?: string[];
    }
  | { action: 'wait'; ms: number };

export type ActionStep = DockerStep | KubernetesStep | OtherStep;
export type ActionName = ActionStep['action'];

/**
 * A replica count: absolute (`3`) or relative to what runs now (`+1`, `-1`), always kept within
 * [min, max] so that a runaway rule cannot scale a service to zero or to a hundred.
 */
export interface ReplicaTarget {
  absolute?: number;
  delta?: number;
  min: number;
  max: number;
}

/** The count a replica target asks for, given how many run now. */
export function replicasWanted(target: ReplicaTarget, current: number): number {
  const wanted = target.absolute ?? current + (target.delta ?? 0);
  return Math.min(target.max, Math.max(target.min, wanted));
}

type RunningState = { containerId: string; running: boolean };
type NetworkState = { containerId: string; networkId: string; connected: boolean; aliases: string[] };
type NodeState = { unschedulable: boolean };

/** What each action finds before it acts: enough to make a retry harmless and to undo it. */
interface Snapshots {
  'docker.restart': { containerId: string; startedAt: string };
  'docker.stop': RunningState;
  'docker.start': RunningState;
  'docker.update-resources': {
    containerId: string;
    memoryBytes: number;
    memorySwapBytes: number;
    nanoCpus: number;
  };
  'docker.scale': {
    /** The replicas found, oldest first, and whether each was running. */
    replicas: { id: string; name: string; running: boolean }[];
    wanted: number;
  };
  'docker.network-disconnect': NetworkState;
  'docker.network-connect': NetworkState;
  'k8s.scale': { replicas: number; wanted: number };
  'k8s.rollout-restart': { generation: number; restartedAt: string };
  'k8s.rollback': {
    fromRevision: string;
    toRevision: string;
    /** The pod templates as JSON text, so history holds them verbatim. */
    fromTemplate: string;
    toTemplate: string;
  };
  'k8s.patch-resources': { resources: { requests?: ResourceQuantities; limits?: ResourceQuantities } };
  'k8s.cordon': NodeState;
  'k8s.uncordon': NodeState;
  'http.call': { idempotencyKey: string };
  wait: Record<never, never>;
}

/** The step of one action. */
export type StepOf<A extends ActionName> = Extract<ActionStep, { action: A }>;
/** What one action recorded before it acted; a step and its snapshot always name the same action. */
export type SnapshotOf<A extends ActionName> = { action: A } & Snapshots[A];
export type TargetSnapshot = { [A in ActionName]: SnapshotOf<A> }[ActionName];

/**
 * Actions with no undo: a restart (the old process is gone), a call to a service's own endpoint, a wait.
 * Every other action must have a compensation (see ActionHandler).
 */
export type IrreversibleAction = 'docker.restart' | 'k8s.rollout-restart' | 'http.call' | 'wait';

/** What the remediation activities receive: the step and the snapshot recorded before it. */
export interface ActionRequest {
  step: ActionStep;
  snapshot: TargetSnapshot;
}

export interface ActionEffect {
  /** One line for the timeline: what changed. */
  summary: string;
  /** False when a retried attempt found the change already made and did nothing. */
  acted: boolean;
}
