import { readFile } from 'node:fs/promises';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Settings } from '../config/settings.js';
import { activeTracing } from '../telemetry/index.js';
import { dataConverterFor } from './codec.js';

type TemporalSettings = Settings['temporal'];

async function tlsOptions(s: TemporalSettings): Promise<ConnectionOptions['tls']> {
  if (!s.tls) return undefined;
  const [crt, key, ca] = await Promise.all([
    s.tlsCert ? readFile(s.tlsCert) : undefined,
    s.tlsKey ? readFile(s.tlsKey) : undefined,
    s.tlsCa ? readFile(s.tlsCa) : undefined,
  ]);
  return {
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
  };
}

/**
 * The largest reply the client accepts. gRPC's default, 4 MiB, is smaller than one page of an incident's
 * history when a few webhooks of a megabyte each share it (Temporal pages by event count, not bytes): the
 * report, which reads the whole history, then failed with RESOURCE_EXHAUSTED. Temporal ends a run whose
 * history passes 50 MB (its default limit), so no page of a live run is larger than 64 MiB.
 */
export const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

/**
 * A client whose connection is made on first use, so the API starts (and answers 503) while Temporal
 * is down, and recovers by itself when it comes back. With codec keys, it seals what it sends and
 * opens what it reads, like the worker. With tracing on, its calls carry the caller's trace.
 */
export async function createClient(s: TemporalSettings): Promise<Client> {
  const tls = await tlsOptions(s);
  const connection = Connection.lazy({
    address: s.address,
    ...(tls ? { tls } : {}),
    ...(s.apiKey ? { apiKey: s.apiKey } : {}),
    channelArgs: { 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES },
  });
  const dataConverter = dataConverterFor(s.codecKeys);
  const tracing = activeTracing();
  return new Client({
    connection,
    namespace: s.namespace,
    ...(dataConverter ? { dataConverter } : {}),
    ...(tracing ? { interceptors: { workflow: tracing.clientInterceptors } } : {}),
  });
}

export async function connectWorker(s: TemporalSettings): Promise<NativeConnection> {
  const tls: NativeConnectionOptions['tls'] = await tlsOptions(s);
  return NativeConnection.connect({
    address: s.address,
    ...(tls ? { tls } : {}),
    ...(s.apiKey ? { apiKey: s.apiKey } : {}),
  });
}

/** Where the Temporal Web UI shows an incident's workflow. */
export function workflowUiUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
