import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { IncidentActivities } from '../activities/index.js';
import { activeTracing } from '../telemetry/index.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * Our sources import each other as `./x.js` (Node's ESM rule) while the files are `.ts`; webpack, which
 * bundles the workflows, is told to try the `.ts` file first.
 */
export const bundlerOptions: WorkerOptions['bundlerOptions'] = {
  webpackConfigHook: (config) => ({
    ...config,
    resolve: { ...config.resolve, extensionAlias: { '.js': ['.ts', '.js'] } },
  }),
};

export interface IncidentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: IncidentActivities;
  /** A prebuilt bundle (bundleWorkflowCode) to skip bundling; tests share one per file. */
  workflowBundle?: { code: string };
  /** The payload codec (see codec.ts); the same as every client's, or history cannot be read. */
  dataConverter?: DataConverter;
}

/**
 * The incident worker. With tracing on (src/telemetry), its activities get spans, and its workflows
 * too: bundled from source, the tracing interceptor module is added; a prebuilt bundle must have been
 * made with tracingWorkflowModules() for the workflow spans to appear.
 */
export function createIncidentWorker(options: IncidentWorkerOptions): Promise<Worker> {
  const tracing = activeTracing();
  const interceptors = tracing?.worker.interceptors;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath, bundlerOptions }),
    ...(tracing && interceptors
      ? {
          // With a prebuilt bundle the modules are already in it (or not): naming them again only warns.
          interceptors: options.workflowBundle ? { ...interceptors, workflowModules: [] } : interceptors,
          sinks: tracing.worker.sinks,
        }
      : {}),
  });
}
