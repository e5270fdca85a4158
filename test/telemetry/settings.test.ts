import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/config/settings.js';
import { shownUrl } from '../../src/telemetry/settings.js';

describe('the tracing settings', () => {
  it('when no OTLP endpoint is set, then there is no tracing, whatever else is set', () => {
    expect(loadSettings({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).telemetry).toBe(
      undefined,
    );
  });

  it('when the general endpoint is set, then spans go to its /v1/traces as protobuf', () => {
    expect(loadSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).telemetry).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
    });
  });

  it('when the traces endpoint is set too, then it is taken as it is', () => {
    const s = loadSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example.com/otlp/v1/traces',
      OTEL_SERVICE_NAME: 'steadfast-eu',
    });
    expect(s.telemetry).toMatchObject({
      tracesUrl: 'https://tempo.example.com/otlp/v1/traces',
      serviceName: 'steadfast-eu',
    });
  });

  it('when headers are given, then each is read with its value decoded, and a bad one is refused without echoing it', () => {
    const s = loadSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20s3cret, X-Scope-OrgID=ops',
    });
    expect(s.telemetry?.headers).toEqual({ authorization: 'Bearer s3cret', 'x-scope-orgid': 'ops' });
    for (const bad of ['no-equals-sign', 'bad key=v', 'k=%zz-s3cret']) {
      expect(() => loadSettings({ OTEL_EXPORTER_OTLP_HEADERS: bad })).toThrow(SettingsError);
      expect(() => loadSettings({ OTEL_EXPORTER_OTLP_HEADERS: bad })).not.toThrow(/s3cret/);
    }
  });

  it('when the protocol is gRPC or the endpoint not http(s), then the settings say what is wanted', () => {
    expect(() => loadSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      "OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf or http/json (gRPC is not supported: use the collector's OTLP/HTTP port, 4318)",
    );
    expect(() => loadSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      'OTEL_EXPORTER_OTLP_ENDPOINT',
    );
  });

  it('when a collector URL carries credentials or a query, then logs show it without them', () => {
    expect(shownUrl('https://user:pw@otel.example.com:4318/v1/traces?token=t')).toBe(
      'https://otel.example.com:4318/v1/traces',
    );
  });
});
