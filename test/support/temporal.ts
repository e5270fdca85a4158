import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { bundlerOptions, createIncidentWorker, workflowsPath } from '../../src/temporal/worker.js';
import type { IncidentActivities } from '../../src/activities/index.js';
import { closeWithFile } from './connections.js';

let bundle: Promise<{ code: string }> | undefined;

/** Bundles the workflows once per test file (each file runs in its own process). */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath, ...bundlerOptions, logger: quietLogger });
  return bundle;
}

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/**
 * The SDK's 10 s to connect is not enough on a CI machine whose two cores also run a cluster and a
 * browser: a connect once failed there while the server was up. A minute still fails a dead server.
 */
export const CONNECT_TIMEOUT = '60s';

/** A client of the suite's dev server, closed with the test file (test/support/connections.ts). */
export async function testClient(): Promise<Client> {
  const connection = await Connection.connect({
    address: inject('temporalAddress'),
    connectTimeout: CONNECT_TIMEOUT,
  });
  return new Client({ connection: closeWithFile(connection) });
}

export interface TestWorker {
  worker: Worker;
  taskQueue: string;
  stop: () => Promise<void>;
}

/**
 * A worker on its own task queue, so test files never take each other's tasks; on the suite's dev
 * server unless `server` names another (a cluster).
 */
export async function startTestWorker(
  activities: IncidentActivities,
  taskQueue: string,
  server: { address: string; namespace: string } = {
    address: inject('temporalAddress'),
    namespace: 'default',
  },
): Promise<TestWorker> {
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await createIncidentWorker({
    connection,
    namespace: server.namespace,
    taskQueue,
    activities,
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  return {
    worker,
    taskQueue,
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** Whether Temporal knows a workflow by this ID (running or closed). */
export async function workflowExists(client: Client, id: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(id).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
