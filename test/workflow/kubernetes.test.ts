import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import { kubernetesHandlersFromFile } from '../../src/remediation/kubernetes/actions.js';
import type { incidentWorkflow } from '../../src/workflows/incident.js';
import { alertsSignal, approveUpdate } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import { startLocalCluster, type LocalCluster } from '../support/kubernetes.js';
import { makeAlert, resolvedAlert, startIncident, waitForState } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

const TASK_QUEUE = 'kubernetes-scenarios';
const NAMESPACE = 'shop';

// Verification waits for the alerts to resolve; each test decides whether they do.
const RUNBOOK = `
title: Scale out the deployment
match: { alertnames: [CheckoutSlow] }
risk: medium
approvers: [alice]
approval: { timeout: 10m }
guards: { cooldown: 0s, maxActionsPerTarget: 10 }
steps:
  - action: k8s.scale
    namespace: '{{ labels.namespace }}'
    deployment: '{{ labels.deployment }}'
    replicas: '+2'
    max: 4
  - action: k8s.patch-resources
    namespace: '{{ labels.namespace }}'
    deployment: '{{ labels.deployment }}'
    container: app
    limits: { cpu: '2', memory: 1Gi }
scope: { kubernetes: { namespaces: [${NAMESPACE}] } }
verify: { within: 3s }
`;

let cluster: LocalCluster;
let apps: AppsV1Api;
let client: Client;
let worker: TestWorker;

beforeAll(async () => {
  cluster = await startLocalCluster();
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
  client = await testClient();
  worker = await startTestWorker(
    testActivities({
      runbooks: { 'scale.yaml': RUNBOOK },
      kubernetes: kubernetesHandlersFromFile(cluster.kubeconfig),
    }),
    TASK_QUEUE,
  );
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await cluster?.stop();
});

async function deployment(name: string, namespace = NAMESPACE): Promise<void> {
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              { name: 'app', image: 'registry.example/checkout:1.0', resources: { limits: { cpu: '500m' } } },
            ],
          },
        },
      },
    },
  });
}

async function incident(
  name: string,
  beforeApproval: () => Promise<void> = async () => undefined,
): Promise<{ handle: WorkflowHandle<typeof incidentWorkflow>; alert: Alert }> {
  const alert = makeAlert({ alertName: 'CheckoutSlow', labels: { namespace: NAMESPACE, deployment: name } });
  const handle = await startIncident(client, TASK_QUEUE, `k8s-${name}-${Date.now().toString(36)}`, [alert]);
  await waitForState(handle, (s) => s.stage === 'approve');
  await beforeApproval();
  await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
  return { handle, alert };
}

describe('an incident remediated on a real Kubernetes API server', () => {
  it('when the fix holds, then the deployment keeps its new replicas and limits', async () => {
    await deployment('checkout');
    const { handle, alert } = await incident('checkout');
    await waitForState(handle, (s) => s.stage === 'verify');
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    const final = await handle.result();
    expect(final.outcome).toBe('verified');
    // Guards count the deployment by its UID, the object that was checked against the scope.
    const { metadata } = await apps.readNamespacedDeployment({ name: 'checkout', namespace: NAMESPACE });
    expect(final.actions.map((a) => [a.status, a.target])).toEqual([
      ['done', `k8s/deployment/${metadata?.uid}`],
      ['done', `k8s/deployment/${metadata?.uid}`],
    ]);
    expect(final.recommendation?.targets).toEqual([`deployment shop/checkout (UID ${metadata?.uid})`]);
    expect(final.actions[0]?.preview?.[1]).toBe(
      'PATCH /apis/apps/v1/namespaces/shop/deployments/checkout/scale {"spec":{"replicas":<+2 replicas (kept within 1–4)>}}',
    );
    const live = await apps.readNamespacedDeployment({ name: 'checkout', namespace: NAMESPACE });
    expect(live.spec?.replicas).toBe(3);
    expect(live.spec?.template.spec?.containers[0]?.resources?.limits).toEqual({ cpu: '2', memory: '1Gi' });
  });

  it('when verification fails, then both changes are undone in reverse order on the cluster', async () => {
    await deployment('payments');
    const { handle } = await incident('payments');
    const final = await handle.result();
    expect(final.outcome).toBe('failed');
    expect(final.actions.map((a) => a.status)).toEqual(['rolled-back', 'rolled-back']);
    const rollbacks = final.timeline.filter((t) => t.event === 'rolled-back').map((t) => t.message);
    expect(rollbacks).toHaveLength(2);
    expect(rollbacks[0]).toMatch(/resources|limits/);
    expect(rollbacks[1]).toMatch(/replicas|1/);
    const live = await apps.readNamespacedDeployment({ name: 'payments', namespace: NAMESPACE });
    expect(live.spec?.replicas).toBe(1);
    expect(live.spec?.template.spec?.containers[0]?.resources?.limits).toEqual({ cpu: '500m' });
  });

  it('when an alert names a deployment in a namespace outside the scope (kube-system), then the plan is refused and the deployment untouched', async () => {
    await deployment('coredns', 'kube-system');
    const alert = makeAlert({
      alertName: 'CheckoutSlow',
      labels: { namespace: 'kube-system', deployment: 'coredns' },
    });
    const handle = await startIncident(client, TASK_QUEUE, `k8s-coredns-${Date.now().toString(36)}`, [alert]);
    const refused = await waitForState(handle, (s) => s.timeline.some((t) => t.event === 'plan-refused'));
    expect(refused.recommendation).toBeNull();
    expect(refused.timeline.find((t) => t.event === 'plan-refused')?.message).toContain(
      "deployment kube-system/coredns is outside the runbook's scope (namespaces shop)",
    );
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('no-runbook');
    const live = await apps.readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' });
    expect(live.spec?.replicas).toBe(1);
  });

  it('when the deployment is replaced under its name after the check, then the step refuses to act on the new one', async () => {
    await deployment('orders');
    const { handle } = await incident('orders', async () => {
      await apps.deleteNamespacedDeployment({ name: 'orders', namespace: NAMESPACE });
      await deployment('orders');
    });
    const final = await handle.result();
    expect(final.outcome).toBe('failed');
    expect(final.actions[0]?.status).toBe('failed');
    expect(final.actions[0]?.error).toContain('not the');
    expect(final.actions[0]?.error).toContain('that was checked and approved; nothing was changed');
    const live = await apps.readNamespacedDeployment({ name: 'orders', namespace: NAMESPACE });
    expect(live.spec?.replicas).toBe(1);
  });
});
