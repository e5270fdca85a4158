import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { IncidentActivities } from '../activities/index.js';
import type { Logger } from '../lib/logger.js';
import { activeTracing } from '../telemetry/index.js';
import { siblingModule } from '../lib/modules.js';

export const workflowsPath = siblingModule(import.meta.url, '../workflows/index.ts');

/**
 * Our sources import each other as `./x.js` (Node's ESM rule) while the files are `.ts`; webpack, which
 * bundles the workflows, is told to try the `.ts` file first. Zod is loaded once and shared by every
 * workflow instead of once per cached workflow (see bundle-preload.ts).
 */
export const bundlerOptions: WorkerOptions['bundlerOptions'] = {
  preloadModules: [siblingModule(import.meta.url, './bundle-preload.ts')],
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
  /** Workflows kept in memory between tasks (STEADFAST_WORKFLOW_CACHE_SIZE); the SDK's own default without. */
  cacheSize?: number;
  /** How long a stopping worker lets its activities in flight finish (STEADFAST_WORKER_DRAIN); 0 without. */
  drainMs?: number;
}

/** How long after the drain a process whose worker still has not stopped gives up waiting and exits. */
const GIVE_UP_AFTER_DRAIN_MS = 15_000;

/**
 * A stopping worker takes no new work; left to the SDK's default it also cancels its activities at once,
 * so a rolling deploy cut short any step in flight that heeds a cancellation (a `wait`), which then spent
 * one of its three attempts on another worker. Given the drain, they finish where they started; past it
 * they are cancelled.
 */
function drainOptions(drainMs: number): Pick<WorkerOptions, 'shutdownGraceTime'> {
  return { shutdownGraceTime: drainMs };
}

/**
 * Once the process is told to stop (SIGTERM, SIGINT), ends it with exit code 1 if it is still running
 * `GIVE_UP_AFTER_DRAIN_MS` past the drain: an activity that ignores its cancellation (an HTTP call in
 * flight) would otherwise hold the stop for ever. The SDK's own `shutdownForceTime`, tried at the same
 * moment, did not end it: the process still ran 60 s after SIGTERM, its worker waiting for that activity
 * (test/faults now checks the give-up).
 */
export function giveUpStalledStop(drainMs: number, logger: Logger): void {
  const arm = (): void => {
    const timer = setTimeout(() => {
      logger.fatal(
        { event: 'worker.gave-up', drainMs },
        `an activity still runs ${GIVE_UP_AFTER_DRAIN_MS / 1000} s past the drain (STEADFAST_WORKER_DRAIN): exiting; another worker retries it`,
      );
      process.exit(1);
    }, drainMs + GIVE_UP_AFTER_DRAIN_MS);
    timer.unref();
  };
  process.once('SIGTERM', arm);
  process.once('SIGINT', arm);
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
    ...(options.cacheSize !== undefined ? cacheOptions(options.cacheSize) : {}),
    ...(options.drainMs !== undefined ? drainOptions(options.drainMs) : {}),
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

/**
 * The SDK sizes its cache from the heap limit: about 2,300 workflows on a machine with 24 GiB, each
 * incident waiting for a person kept in memory. A cached incident costs about 0.65 MB of resident memory
 * (in the workflow thread's own heap), an evicted one 0.12–0.29 MB (bench:memory): 200, the default,
 * keeps 1,000 waiting incidents at 0.23–0.36 MB each (the goal is 0.5 MB). An incident waiting for a
 * person wakes seldom (an escalation, a decision), and a miss costs a replay of its history then,
 * milliseconds for its few hundred events. A workflow task needs a cache slot, so no more tasks run at
 * once than it holds. A cache of 0 replays the whole history at every task: incidents then crawl
 * (5 took 49 s to reach approval, 400 made no progress in two minutes).
 */
function cacheOptions(
  size: number,
): Pick<WorkerOptions, 'maxCachedWorkflows' | 'maxConcurrentWorkflowTaskExecutions'> {
  if (size === 0) return { maxCachedWorkflows: 0 };
  const cached = Math.max(size, 2);
  return { maxCachedWorkflows: cached, maxConcurrentWorkflowTaskExecutions: Math.min(40, cached) };
}
