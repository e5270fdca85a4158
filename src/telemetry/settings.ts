import type { Env } from '../config/env.js';

/** Where and how spans are exported; absent from the settings when no OTLP endpoint is set. */
export interface TelemetrySettings {
  /** The URL spans are posted to (…/v1/traces). */
  tracesUrl: string;
  protocol: 'http/protobuf' | 'http/json';
  /** Sent with each export (a collector's credentials): never logged. */
  headers: Record<string, string>;
  /** OTEL_SERVICE_NAME; unset, each process names itself. */
  serviceName?: string;
}

/**
 * The tracing settings, or undefined when neither OTEL_EXPORTER_OTLP_TRACES_ENDPOINT nor
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. As the OpenTelemetry specification has it, the traces endpoint is
 * taken as it is, and the general one gets `v1/traces` appended.
 */
export function telemetrySettingsFrom(e: Env): TelemetrySettings | undefined {
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracesUrl =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!tracesUrl) return undefined;
  return {
    tracesUrl,
    protocol: e.OTEL_EXPORTER_OTLP_PROTOCOL,
    headers: e.OTEL_EXPORTER_OTLP_HEADERS,
    ...(e.OTEL_SERVICE_NAME ? { serviceName: e.OTEL_SERVICE_NAME } : {}),
  };
}

/** A URL as logs may show it: without credentials or query, which a collector's address may carry. */
export function shownUrl(url: string): string {
  const { origin, pathname } = new URL(url);
  return `${origin}${pathname}`;
}
