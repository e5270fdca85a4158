import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/** Paths asked every few seconds (scrapes, probes): a trace each would bury the incidents' traces. */
const UNTRACED = new Set(['/metrics', '/api/v1/health']);

/**
 * A server span around each request, continuing the caller's trace when it sends a `traceparent`. The
 * handler runs in the span's context, so the Temporal calls it makes (start, signal, update) carry it
 * to the workflow. Named `METHOD /route` once Express has matched a route (never by the raw path,
 * whose IDs would make a name per incident).
 */
export function traceRequests(tracer: Tracer, handler: RequestListener): RequestListener {
  return (req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (UNTRACED.has(path)) return handler(req, res);
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': method, 'url.path': path, 'url.scheme': 'http' },
      },
      parent,
    );
    res.once('close', () => endSpan(span, method, req, res));
    const active = trace.setSpan(parent, span);
    // Body parsers read through stream events, which would otherwise run outside the span's context.
    context.bind(active, req);
    context.bind(active, res);
    context.with(active, () => handler(req, res));
  };
}

function endSpan(span: Span, method: string, req: IncomingMessage, res: ServerResponse): void {
  const { route, baseUrl } = req as { route?: { path?: unknown }; baseUrl?: unknown };
  if (typeof route?.path === 'string') {
    const full = `${typeof baseUrl === 'string' ? baseUrl : ''}${route.path}`;
    span.updateName(`${method} ${full}`);
    span.setAttribute('http.route', full);
  }
  span.setAttribute('http.response.status_code', res.statusCode);
  if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  if (!res.writableFinished) span.setAttribute('error.type', 'aborted');
  span.end();
}
