import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freeClusterPorts, startCluster, type RunningCluster } from '../../scripts/lib/cluster.mjs';
import type { IncidentActivities } from '../../src/activities/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes-setup.js';
import { CONNECT_TIMEOUT, startTestWorker, type TestWorker } from './temporal.js';

export interface TestCluster extends RunningCluster {
  client: Client;
  /** Stops the cluster and removes its files. */
  close: () => Promise<void>;
}

/**
 * A real Temporal cluster for one test file: PostgreSQL and four services on free loopback ports, with
 * the product's search attributes registered as `npm start` registers them.
 */
export async function startTestCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-cluster-'));
  const cluster = await startCluster({ dir, ...(await freeClusterPorts()), durable: false });
  const client = new Client({
    connection: await Connection.connect({ address: cluster.address, connectTimeout: CONNECT_TIMEOUT }),
  });
  await ensureSearchAttributes(client, cluster.namespace, createLogger('silent'));
  return {
    ...cluster,
    client,
    close: async () => {
      await client.connection.close();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Steadfast worker on the cluster; several on one task queue share its incidents. */
export const startClusterWorker = (
  cluster: RunningCluster,
  activities: IncidentActivities,
  taskQueue: string,
): Promise<TestWorker> => startTestWorker(activities, taskQueue, cluster);
