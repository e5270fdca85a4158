import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER, CLIENT, startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.js';

const run = promisify(execFile);
const probe = join(import.meta.dirname, 'probe.ts');

interface Probed {
  answer: string;
  tracing: string | null;
  clientInterceptors: number;
  /** How many modules of the OpenTelemetry SDK, its exporters and instrumentations were loaded. */
  loaded: number;
}

/** probe.ts in a process of its own, with no OTEL_ variable but those given. */
async function probeWith(env: Record<string, string>): Promise<Probed> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', probe], {
    env: { ...inherited, TEMPORAL_ADDRESS: '127.0.0.1:1', ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Probed;
}

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

describe('tracing is off unless an OTLP endpoint is set', () => {
  it('when no endpoint is set, then nothing of OpenTelemetry is loaded and no client or server is traced', async () => {
    const probed = await probeWith({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'quiet' });
    expect(probed).toEqual({ answer: 'pong', tracing: null, clientInterceptors: 0, loaded: 0 });
  });

  it('when an endpoint is set, then the same process loads the SDK, intercepts its client and sends its spans there', async () => {
    const probed = await probeWith({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect(probed).toMatchObject({ answer: 'pong', tracing: 'steadfast-probe', clientInterceptors: 1 });
    expect(probed.loaded).toBeGreaterThan(0);
    const server = receiver.spans.find((s) => s.kind === SERVER && s.name === 'GET /ping');
    expect(server?.service).toBe('steadfast-probe');
    // The probe's own fetch of /ping is the client span its server span continues.
    const client = receiver.spans.find((s) => s.spanId === server?.parentSpanId);
    expect(client?.kind).toBe(CLIENT);
  });

  it('when the protocol is left unset, then spans go as OTLP protobuf to <endpoint>/v1/traces', async () => {
    const before = receiver.requests.length;
    await probeWith({ OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/` });
    expect(receiver.requests.slice(before)).toContainEqual({
      path: '/v1/traces',
      contentType: 'application/x-protobuf',
    });
  });
});
