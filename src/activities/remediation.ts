import { activityInfo, heartbeat, sleep as activitySleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type Docker from 'dockerode';
import type {
  ActionEffect,
  ActionRequest,
  ActionStep,
  DockerStep,
  KubernetesStep,
  TargetSnapshot,
} from '../actions/steps.js';
import { createDockerExecutor } from '../remediation/docker.js';
import { invalidAction, mismatch, type ActionExecutor } from '../remediation/executor.js';
import { createHttpExecutor } from '../remediation/http.js';

export interface RemediationDeps {
  docker: Docker;
  /** Absent when no cluster is configured; Kubernetes steps then fail clearly and change nothing. */
  kubernetes?: ActionExecutor<KubernetesStep>;
}

const isDocker = (step: ActionStep): step is DockerStep => step.action.startsWith('docker.');
const isKubernetes = (step: ActionStep): step is KubernetesStep => step.action.startsWith('k8s.');

/**
 * The three remediation activities of the saga. Each dispatches on the step's action to the executor
 * of its family; see ActionExecutor for why snapshot, apply and compensate are separate activities.
 */
export function createRemediationActivities(deps: RemediationDeps) {
  const docker = createDockerExecutor(deps.docker);
  const http = createHttpExecutor();
  const kubernetes = (): ActionExecutor<KubernetesStep> => {
    if (deps.kubernetes) return deps.kubernetes;
    throw ApplicationFailure.create({
      type: 'KubernetesNotConfigured',
      message: 'this step needs a Kubernetes cluster, and none is configured (set KUBECONFIG)',
      nonRetryable: true,
    });
  };

  return {
    /** Records the target's state before an action; `key` names the step (incident/attempt/index). */
    async snapshotTarget(step: ActionStep, key?: string): Promise<TargetSnapshot> {
      // Histories from before keys existed passed the step alone; this activity's ID within its workflow
      // stands in for them (the snapshot records it, so every retry of the apply sends the same key).
      const info = activityInfo();
      const stepKey = key ?? `${info.workflowExecution?.workflowId ?? info.activityType}/${info.activityId}`;
      if (isDocker(step)) return docker.snapshot(step, stepKey);
      if (isKubernetes(step)) return kubernetes().snapshot(step, stepKey);
      if (step.action === 'http.call') return http.snapshot(step, stepKey);
      return { action: 'wait' };
    },

    async applyAction({ step, snapshot }: ActionRequest): Promise<ActionEffect> {
      if (isDocker(step)) return docker.apply(step, snapshot);
      if (isKubernetes(step)) return kubernetes().apply(step, snapshot);
      if (step.action === 'http.call') return http.apply(step, snapshot);
      if (snapshot.action !== 'wait') throw mismatch(step, snapshot);
      const until = Date.now() + step.ms;
      while (Date.now() < until) {
        heartbeat();
        await activitySleep(Math.min(5000, until - Date.now()));
      }
      return { acted: true, summary: `waited ${Math.round(step.ms / 1000)}s` };
    },

    /** Restores what the snapshot recorded; only reversible actions are ever compensated. */
    async compensateAction({ step, snapshot }: ActionRequest): Promise<ActionEffect> {
      if (isDocker(step)) return docker.compensate(step, snapshot);
      if (isKubernetes(step)) return kubernetes().compensate(step, snapshot);
      if (step.action === 'http.call') return http.compensate(step, snapshot);
      throw invalidAction('a wait has nothing to undo');
    },
  };
}
