/**
 * Run as its own process by tracing-off.test.ts: starts what a Steadfast process starts before its
 * work (tracing, a Temporal client, a server answering one request) and prints what it loaded.
 */
import { createRequire } from 'node:module';
import express from 'express';
import { listen } from '../../src/api/server.js';
import { loadSettings } from '../../src/config/settings.js';
import { startTracing } from '../../src/telemetry/index.js';
import { createClient } from '../../src/temporal/connection.js';

const settings = loadSettings();
const tracing = await startTracing(settings.telemetry, 'steadfast-probe');
const client = await createClient(settings.temporal);
const server = await listen(
  express().get('/ping', (_req, res) => void res.send('pong')),
  '127.0.0.1',
  0,
);
const answer = await fetch(`${server.url}/ping`).then((r) => r.text());
await server.close();
await tracing?.shutdown();
const { workflow } = client.options.interceptors;
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((id) =>
  /node_modules\/@opentelemetry\/(sdk-|exporter-|instrumentation)|interceptors-opentelemetry/.test(id),
);
process.stdout.write(
  JSON.stringify({
    answer,
    tracing: tracing?.serviceName ?? null,
    clientInterceptors: Array.isArray(workflow) ? workflow.length : 0,
    loaded: loaded.length,
  }),
);
