/**
 * OpenTelemetry tracing, on only when an OTLP endpoint is configured (docs/tracing.md). This module
 * loads nothing of OpenTelemetry itself: the SDK, the exporter and the Temporal interceptors are
 * imported by startTracing, so a process without an endpoint pays nothing for them.
 *
 * Like OpenTelemetry's own API, tracing is per process: the entry point (src/main.ts, worker.ts) starts
 * it before it creates clients, workers and servers, which ask activeTracing() for their part.
 */
import { siblingModule } from '../lib/modules.js';
import type { Logger } from '../lib/logger.js';
import { shownUrl, type TelemetrySettings } from './settings.js';
import type { Tracing } from './tracing.js';

export type { TelemetrySettings } from './settings.js';
export type { Tracing } from './tracing.js';

/**
 * The workflow interceptor module (workflow-interceptors.ts), bundled into the workflow code when
 * tracing is on: it opens the workflow's span and hands its context to each activity. It issues no
 * command and leaves the order the workflow's code runs in as it was, so histories recorded without
 * it replay with it, and the other way round (test/telemetry/replay.test.ts).
 */
export const TRACING_WORKFLOW_MODULES: readonly string[] = [
  siblingModule(import.meta.url, './workflow-interceptors.ts'),
];

let active: Tracing | undefined;

/**
 * What a prebuilt workflow bundle (bundleWorkflowCode's workflowInterceptorModules) needs for this
 * process's tracing: the tracing module when tracing is on, nothing when it is off.
 */
export function tracingWorkflowModules(): string[] {
  return active ? [...TRACING_WORKFLOW_MODULES] : [];
}

/** The running tracing, if this process started it. */
export function activeTracing(): Tracing | undefined {
  return active;
}

/**
 * Starts tracing when the settings name an endpoint, under OTEL_SERVICE_NAME or the process's own
 * name; undefined, and nothing loaded, when they do not. Once per process at a time. Export problems
 * (a collector down) are logged as warnings; they never fail the process.
 */
export async function startTracing(
  settings: TelemetrySettings | undefined,
  processName: string,
  logger?: Logger,
): Promise<Tracing | undefined> {
  if (!settings) return undefined;
  if (active) throw new Error('tracing is already running in this process');
  const { createTracing } = await import('./tracing.js');
  const serviceName = settings.serviceName ?? processName;
  const tracing = createTracing(settings, serviceName, TRACING_WORKFLOW_MODULES, logger);
  const endpoint = shownUrl(settings.tracesUrl);
  logger?.info(
    { event: 'tracing.started', service: serviceName, endpoint, protocol: settings.protocol },
    `tracing to ${endpoint} as ${serviceName}`,
  );
  const running: Tracing = {
    ...tracing,
    shutdown: async () => {
      if (active === running) active = undefined;
      await tracing.shutdown();
    },
  };
  active = running;
  return running;
}
