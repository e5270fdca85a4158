/**
 * The workflow side of tracing, bundled into the workflow code when tracing is on (never imported by
 * the host). Spans are made in the sandbox and leave through the `exporter` sink the worker injects.
 *
 * Written for replay safety rather than taken whole from @temporalio/interceptors-opentelemetry, whose
 * wrappers await what they wrap: that moves an update's completion a few microtasks later, and a
 * history recorded without tracing (test/histories/injection-refused.json) then fails to replay with
 * it. Here every wrapper hands back the very promise it wrapped and ends its span on a side branch, so
 * the order in which the workflow's code runs, and so its commands, is the same with tracing on or
 * off. Span IDs come from the run ID and a count, not from Math.random, which in a workflow is the
 * seeded generator that workflow code may draw from. No command is added; queries and update
 * validators (never in history) are not traced.
 */
// First: the package's sandbox set-up (performance, window), which the SDK's modules read as they load.
import '@temporalio/interceptors-opentelemetry/lib/workflow/runtime.js';
import * as otel from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import {
  extractContextFromHeaders,
  headersWithContext,
} from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import { ContextManager } from '@temporalio/interceptors-opentelemetry/lib/workflow/context-manager.js';
import { SpanExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/span-exporter.js';
import {
  ContinueAsNew,
  workflowInfo,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** FNV-1a, 64 bits, as 16 hex digits. */
function fnv64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/** Per workflow run (a workflow's globals are its own), and the same again when it is replayed. */
const runState = globalThis as { steadfastSpanCount?: number };
function nextId(suffix: string): string {
  runState.steadfastSpanCount = (runState.steadfastSpanCount ?? 0) + 1;
  return fnv64(`${workflowInfo().runId}/${runState.steadfastSpanCount}/${suffix}`);
}
const ids: IdGenerator = {
  generateTraceId: () => nextId('t1') + nextId('t2'),
  generateSpanId: () => nextId('s'),
};

let tracer: otel.Tracer | undefined;
let contextManager: ContextManager | undefined;
function getTracer(): otel.Tracer {
  contextManager ??= new ContextManager();
  if (!tracer) {
    const provider = new BasicTracerProvider({
      idGenerator: ids,
      spanProcessors: [new SimpleSpanProcessor(new SpanExporter())],
    });
    provider.register({ contextManager });
    tracer = provider.getTracer('steadfast-workflow');
  }
  return tracer;
}

type Headers = Parameters<typeof extractContextFromHeaders>[0];

/**
 * Runs `fn` in a new span's context and answers fn's own promise: the span ends when it settles, on a
 * branch nobody waits for. `expected` failures (continue-as-new) leave the span's status alone.
 */
function traced<T>(
  name: string,
  parent: otel.Context,
  attributes: otel.Attributes,
  fn: () => Promise<T>,
  expected: (err: unknown) => boolean = () => false,
): Promise<T> {
  const span = getTracer().startSpan(name, { attributes }, parent);
  const end = (outcome?: { failed: unknown }): void => {
    if (outcome && !expected(outcome.failed)) {
      const { failed } = outcome;
      span.setStatus({
        code: otel.SpanStatusCode.ERROR,
        message: failed instanceof Error ? failed.message : 'failed',
      });
    }
    span.end();
  };
  let result: Promise<T>;
  try {
    result = otel.context.with(otel.trace.setSpan(parent, span), fn);
  } catch (failed) {
    end({ failed });
    throw failed;
  }
  result.then(
    () => end(),
    (failed: unknown) => end({ failed }),
  );
  return result;
}

const from = (headers: Headers): otel.Context => {
  getTracer();
  return extractContextFromHeaders(headers) ?? otel.ROOT_CONTEXT;
};

const inbound: WorkflowInboundCallsInterceptor = {
  execute: (input, next) =>
    traced(
      `RunWorkflow:${workflowInfo().workflowType}`,
      from(input.headers),
      {},
      () => next(input),
      (err) => err instanceof ContinueAsNew,
    ),
  handleSignal: (input, next) =>
    traced(`HandleSignal:${input.signalName}`, from(input.headers), {}, () => next(input)),
  handleUpdate: (input, next) =>
    traced(`HandleUpdate:${input.name}`, from(input.headers), { temporalUpdateId: input.updateId }, () =>
      next(input),
    ),
};

/** The current context into the headers, read after the span is opened. */
const withContext = (headers: Headers): Headers => headersWithContext(headers);

const outbound: WorkflowOutboundCallsInterceptor = {
  scheduleActivity: (input, next) =>
    traced(`StartActivity:${input.activityType}`, otel.context.active(), {}, () =>
      next({ ...input, headers: withContext(input.headers) }),
    ),
  scheduleLocalActivity: (input, next) =>
    traced(`StartActivity:${input.activityType}`, otel.context.active(), {}, () =>
      next({ ...input, headers: withContext(input.headers) }),
    ),
  // The next run continues this trace; nothing is awaited here (continueAsNew never returns).
  continueAsNew: (input, next) => {
    getTracer();
    return next({ ...input, headers: withContext(input.headers) });
  },
};

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [inbound],
  outbound: [outbound],
  internals: [
    {
      dispose: (input, next) => {
        contextManager?.disable();
        next(input);
      },
    },
  ],
});
