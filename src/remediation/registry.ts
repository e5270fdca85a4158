import { ApplicationFailure } from '@temporalio/common';
import type Docker from 'dockerode';
import { kubernetesActions } from '../actions/kubernetes.js';
import type { KubernetesStep } from '../actions/steps.js';
import { dockerHandlers } from './docker/actions.js';
import { actionRunner, type ActionHandlers, type ActionRunner } from './handler.js';
import { httpHandlers, type HttpExecutorOptions } from './http.js';
import { outlasting } from './outage.js';
import { waitHandlers } from './wait.js';

export type KubernetesHandlers = ActionHandlers<KubernetesStep['action']>;

export interface ActionDeps {
  docker: Docker;
  /** Absent when no cluster is configured: Kubernetes steps then fail clearly and change nothing. */
  kubernetes?: KubernetesHandlers;
  http?: HttpExecutorOptions;
}

const notConfigured = (): Promise<never> =>
  Promise.reject(
    ApplicationFailure.create({
      type: 'KubernetesNotConfigured',
      message: 'this step needs a Kubernetes cluster, and none is configured (set KUBECONFIG)',
      nonRetryable: true,
    }),
  );

/** Kubernetes handlers for a worker without a cluster: every call refuses, and says what is missing. */
const withoutCluster = Object.fromEntries(
  Object.entries(kubernetesActions).map(([action, spec]) => [
    action,
    {
      identify: notConfigured,
      snapshot: notConfigured,
      apply: notConfigured,
      ...(spec.reversible ? { compensate: notConfigured } : {}),
    },
  ]),
) as unknown as KubernetesHandlers;

/**
 * Every action's handler, wired to the engines this worker has. A step on Docker or Kubernetes waits out
 * its engine's restart (src/remediation/outage.ts); an HTTP target's outage is the target's answer.
 */
export function createActionHandlers(deps: ActionDeps): ActionHandlers {
  return {
    ...outlasting(dockerHandlers(deps.docker)),
    ...(deps.kubernetes ? outlasting(deps.kubernetes) : withoutCluster),
    ...httpHandlers(deps.http),
    ...waitHandlers,
  };
}

export const createActionRunner = (deps: ActionDeps): ActionRunner =>
  actionRunner(createActionHandlers(deps));
