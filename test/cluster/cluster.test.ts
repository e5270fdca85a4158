import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsSignal, approveUpdate } from '../../src/workflows/messages.js';
import { SA } from '../../src/workflows/search-attributes.js';
import { testActivities } from '../support/activities.js';
import { startClusterWorker, startTestCluster, type TestCluster } from '../support/cluster.js';
import { startTestContainer, testDocker } from '../support/docker.js';
import {
  atStage,
  makeAlert,
  resolvedAlert,
  startIncident,
  testDockerScope,
  waitForState,
} from '../support/scenario.js';
import type { TestWorker } from '../support/temporal.js';

/**
 * Steadfast on a real Temporal cluster: PostgreSQL for history and visibility, the four services as
 * separate processes with 4 history shards, and two Steadfast workers sharing one task queue.
 */
const TASK_QUEUE = 'cluster-incidents';

let cluster: TestCluster;
let docker: Docker;
const workers: TestWorker[] = [];

const runbooks = {
  'restart.yaml': `
title: Restart the container
match: { alertnames: [ClusterServiceDown] }
risk: medium
approvers: [alice]
approval: { timeout: 10m }
steps:
  - { action: docker.restart, container: '{{ labels.container }}', stopTimeout: 1s }
${testDockerScope()}
verify: { within: 60s, interval: 1s }
`,
};

beforeAll(async () => {
  cluster = await startTestCluster();
  docker = testDocker();
  for (let i = 0; i < 2; i++) {
    const activities = testActivities({ runbooks, docker, temporal: cluster.client });
    workers.push(await startClusterWorker(cluster, activities, TASK_QUEUE));
  }
}, 300_000);

afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await cluster?.close();
}, 120_000);

describe('Steadfast on a Temporal cluster (PostgreSQL, four services, two workers)', () => {
  it('runs incidents from alert to a verified restart, and finds them by search attribute', async () => {
    const names = ['steadfast-test-cluster-a', 'steadfast-test-cluster-b', 'steadfast-test-cluster-c'];
    const containers = await Promise.all(names.map((name) => startTestContainer(docker, name)));
    const before = await Promise.all(containers.map(async (c) => (await c.inspect()).State.StartedAt));
    const service = `cluster-${Date.now().toString(36)}`;
    const incidents = await Promise.all(
      names.map(async (container, i) => {
        const alert = makeAlert({ alertName: 'ClusterServiceDown', labels: { container, service } });
        const handle = await startIncident(cluster.client, TASK_QUEUE, `${service}-${i}`, [alert]);
        return { alert, handle };
      }),
    );
    for (const { handle } of incidents) {
      await waitForState(handle, atStage('approve'), 60_000);
      await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    }
    for (const { alert, handle } of incidents) {
      await waitForState(handle, atStage('verify'), 60_000);
      await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    }
    const outcomes = await Promise.all(incidents.map(async ({ handle }) => (await handle.result()).outcome));
    expect(outcomes).toEqual(['verified', 'verified', 'verified']);
    const after = await Promise.all(containers.map(async (c) => (await c.inspect()).State.StartedAt));
    after.forEach((startedAt, i) => expect(startedAt).not.toBe(before[i]));

    // SQL visibility holds the custom search attributes: the API's list filters work on a cluster.
    const query = `${SA.service.name} = "${service}" AND ${SA.outcome.name} = "verified"`;
    let found: string[] = [];
    for (let i = 0; i < 60 && found.length < 3; i++) {
      found = [];
      for await (const wf of cluster.client.workflow.list({ query })) found.push(wf.workflowId);
      if (found.length < 3) await new Promise((r) => setTimeout(r, 500));
    }
    expect(found.sort()).toEqual(incidents.map(({ handle }) => handle.workflowId).sort());
  }, 240_000);
});
