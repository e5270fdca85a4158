/**
 * The OpenTelemetry SDK, wired: imported only by startTracing (index.ts), when an endpoint is set.
 */
import type { RequestListener } from 'node:http';
import { context, diag, DiagLogLevel, propagation, trace, type DiagLogger } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetryWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { InjectedSink, WorkerOptions } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { traceRequests } from './http-server.js';
import type { Logger } from '../lib/logger.js';
import { REDACTED } from '../secrets/plan.js';
import { shownUrl, type TelemetrySettings } from './settings.js';

export interface Tracing {
  serviceName: string;
  /** For every Temporal client: starts, signals and updates carry the caller's trace. */
  clientInterceptors: WorkflowClientInterceptor[];
  /** For the worker: activity spans, and the sink the workflow spans leave the sandbox through. */
  worker: { interceptors: WorkerOptions['interceptors']; sinks: WorkerOptions['sinks'] };
  /** Wraps a server's handler: a server span per request (none for /metrics and health probes). */
  traceRequests: (handler: RequestListener) => RequestListener;
  /** Sends what is buffered and stops; the process traces nothing afterwards. */
  shutdown: () => Promise<void>;
}

/**
 * Registers a tracer provider for the process (W3C trace context, async-local context), a client span
 * for each fetch (Prometheus queries, http.call steps, webhooks), and the Temporal interceptors that
 * carry the trace from client to workflow to activity. Spans leave in batches.
 */
export function createTracing(
  settings: TelemetrySettings,
  serviceName: string,
  workflowModules: readonly string[],
  logger?: Logger,
): Tracing {
  if (logger) diag.setLogger(diagnostics(logger), DiagLogLevel.WARN);
  const Exporter = settings.protocol === 'http/json' ? JsonExporter : ProtobufExporter;
  const processor = new BatchSpanProcessor(
    new Exporter({ url: settings.tracesUrl, headers: settings.headers }),
  );
  const resource = Resource.default().merge(new Resource({ 'service.name': serviceName }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  const stopInstrumentations = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new UndiciInstrumentation({
        // Only the origin of a call goes out: a webhook's path or query is its secret (src/notify/http.ts).
        requestHook: (span, request) => {
          span.setAttributes({ 'url.full': request.origin, 'url.path': REDACTED, 'url.query': REDACTED });
        },
      }),
    ],
  });
  const tracer = provider.getTracer('steadfast');
  return {
    serviceName,
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor()],
    worker: {
      interceptors: {
        workflowModules: [...workflowModules],
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: workflowSpanSink(processor, resource) },
    },
    traceRequests: (handler) => traceRequests(tracer, handler),
    shutdown: async () => {
      stopInstrumentations();
      // A collector that cannot be reached costs the spans still buffered, never the process's stop.
      await provider
        .shutdown()
        .catch((err: unknown) =>
          logger?.warn(
            { event: 'tracing.flush-failed', err },
            `spans still buffered were not sent to ${shownUrl(settings.tracesUrl)}`,
          ),
        );
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
    },
  };
}

/**
 * Workflow code runs in a sandbox without the SDK: its spans come out through this sink, named for the
 * workflow they belong to. Of the workflow's info only its names go on the spans (the package's sink
 * would copy all of it: memo, search attributes, last result).
 */
function workflowSpanSink(
  processor: SpanProcessor,
  resource: Resource,
): InjectedSink<OpenTelemetryWorkflowExporter> {
  const sink = makeWorkflowExporter(processor, resource);
  return {
    export: {
      fn: (info, spans) => {
        const { workflowId, runId, workflowType, taskQueue, namespace, attempt } = info;
        const names = { workflowId, runId, workflowType, taskQueue, namespace, attempt };
        void sink.export.fn(names as WorkflowInfo, spans);
      },
    },
  };
}

/** The SDK's own complaints (an export that failed), as warnings in the product's log. */
function diagnostics(logger: Logger): DiagLogger {
  const warn = (message: string, ...args: unknown[]): void =>
    logger.warn({ event: 'tracing.problem', detail: args.map(String).join(' ') || undefined }, message);
  const ignore = (): void => undefined;
  return { error: warn, warn, info: ignore, debug: ignore, verbose: ignore };
}
