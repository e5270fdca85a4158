/**
 * Every route of the API against every role: no token, and tokens holding read, ingest or approve
 * alone. A caller without the route's role is refused (401 without a token, 403 with the wrong one) and
 * the refused calls change nothing: the open incident, the guard's pause and the incidents that a
 * refused webhook would have opened are checked after them. A caller with the role gets past the door.
 * The table must name every route the app serves, so a new route cannot slip in without its row.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Role } from '../../src/api/auth.js';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { alertFromGeneric, genericAlertSchema } from '../../src/domain/alert.js';
import { correlate } from '../../src/domain/correlation.js';
import type { IncidentState } from '../../src/domain/incident.js';
import { testActivities } from '../support/activities.js';
import { alertPayload, testApp } from '../support/api-harness.js';
import { testDocker } from '../support/docker.js';
import { startTestWorker, testClient, type TestWorker, workflowExists } from '../support/temporal.js';

const TASK_QUEUE = 'security-roles';
type Caller = 'none' | Role;
const CALLERS: Caller[] = ['none', 'read', 'ingest', 'approve'];
const TOKENS: Record<Role, string> = {
  read: 'roles-read-token-0123456789abcdef',
  ingest: 'roles-ingest-token-0123456789abcdef',
  approve: 'roles-approve-token-0123456789abcdef',
};
const run = Date.now().toString(36);

/** A firing Alertmanager webhook and a firing generic alert: what a refused ingest must not open. */
const refusedWebhook = alertPayload({
  alertname: 'RolesRefused',
  labels: { service: `roles-refused-am-${run}`, severity: 'critical' },
  summary: 'must not open',
});
const refusedAlert = { title: 'Roles refused', severity: 'warning', service: `roles-refused-api-${run}` };

interface RouteRow {
  method: string;
  /** The route as Express knows it, mount path included. */
  route: string;
  role: Role | 'public';
  /** The body a refused caller sends: one that would change something if it got through. */
  refusedBody?: unknown;
  /** The body the role's holder sends: one that changes nothing it should not. */
  body?: unknown;
}

const ROUTES: RouteRow[] = [
  { method: 'GET', route: '/api/v1/health', role: 'public' },
  { method: 'GET', route: '/metrics', role: 'public' },
  { method: 'GET', route: '/', role: 'public' },
  { method: 'GET', route: '/vendor/uPlot.iife.min.js', role: 'public' },
  { method: 'GET', route: '/vendor/uPlot.min.css', role: 'public' },
  // The codec's CORS preflight: browsers send it without credentials.
  { method: 'OPTIONS', route: '/api/v1/codec/:operation', role: 'public' },
  {
    method: 'POST',
    route: '/api/v1/alertmanager',
    role: 'ingest',
    refusedBody: refusedWebhook,
    body: alertPayload({
      alertname: 'RolesAllowed',
      labels: { service: `roles-allowed-am-${run}`, severity: 'critical' },
      summary: 'resolved: opens nothing',
      status: 'resolved',
    }),
  },
  {
    method: 'POST',
    route: '/api/v1/alerts',
    role: 'ingest',
    refusedBody: refusedAlert,
    body: { ...refusedAlert, service: `roles-allowed-api-${run}`, status: 'resolved' },
  },
  { method: 'GET', route: '/api/v1/incidents', role: 'read' },
  { method: 'GET', route: '/api/v1/incidents/:id', role: 'read' },
  { method: 'GET', route: '/api/v1/incidents/:id/report', role: 'read' },
  { method: 'GET', route: '/api/v1/incidents/:id/postmortem', role: 'read' },
  { method: 'GET', route: '/api/v1/alerts', role: 'read' },
  { method: 'GET', route: '/api/v1/alerts/:fingerprint', role: 'read' },
  { method: 'GET', route: '/api/v1/runbooks', role: 'read' },
  { method: 'GET', route: '/api/v1/oncall', role: 'read' },
  { method: 'GET', route: '/api/v1/fleet', role: 'read' },
  { method: 'GET', route: '/api/v1/clusters', role: 'read' },
  // Into an incident that does not exist: past the door, the merge is refused (404) and nothing changes.
  {
    method: 'POST',
    route: '/api/v1/incidents/:id/merge',
    role: 'approve',
    refusedBody: { into: 'roles-refused' },
    body: { into: 'roles-no-such-incident' },
  },
  { method: 'GET', route: '/api/v1/verdicts', role: 'read' },
  { method: 'GET', route: '/api/v1/incidents/:id/verdict', role: 'read' },
  { method: 'GET', route: '/api/v1/severity', role: 'read' },
  // Validating a draft stores nothing, so reading is enough.
  { method: 'POST', route: '/api/v1/runbooks/validate', role: 'read', body: 'title: draft\n' },
  // Shapes only, the same for every deployment, no secret: public, as docs/api.md says.
  { method: 'GET', route: '/api/v1/openapi.json', role: 'public' },
  { method: 'GET', route: '/api/v1/me', role: 'read' },
  { method: 'GET', route: '/api/v1/remediation/guard', role: 'read' },
  { method: 'POST', route: '/api/v1/codec/:operation', role: 'read', body: { payloads: [] } },
  ...['acknowledge', 'approve', 'reject', 'resolve'].map((verb): RouteRow => ({
    method: 'POST',
    route: `/api/v1/incidents/:id/${verb}`,
    role: 'approve',
    refusedBody: { reason: 'refused caller' },
    body: { reason: 'roles test' },
  })),
  {
    method: 'POST',
    route: '/api/v1/remediation/pause',
    role: 'approve',
    refusedBody: { reason: 'refused caller' },
    body: { reason: 'roles test' },
  },
  { method: 'POST', route: '/api/v1/remediation/resume', role: 'approve', refusedBody: {}, body: {} },
  // A refused caller's rule would page someone; the approver's is stored, and deleted by its own row.
  {
    method: 'POST',
    route: '/api/v1/rules',
    role: 'approve',
    refusedBody: { name: 'refused', condition: 'a == "b"', escalation: { delay: 0, channels: ['log'] } },
    body: { name: 'roles', condition: 'a == "b"', escalation: { delay: 0, channels: ['log'] } },
  },
  { method: 'GET', route: '/api/v1/rules', role: 'read' },
  { method: 'DELETE', route: '/api/v1/rules/:name', role: 'approve' },
  {
    method: 'POST',
    route: '/api/v1/incidents/:id/verdict',
    role: 'approve',
    refusedBody: { verdict: 'noise', note: 'refused caller' },
    body: { verdict: 'actionable', note: 'roles test' },
  },
  {
    method: 'POST',
    route: '/api/v1/incidents/:id/severity',
    role: 'approve',
    refusedBody: { severity: 'critical' },
    body: { severity: 'critical', reason: 'roles test' },
  },
];

/** Every route the app serves, as `METHOD /path`, found by walking its routers. */
function servedRoutes(app: Express): string[] {
  interface Layer {
    rawPath?: unknown;
    route?: { path: string; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
  }
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods))
          out.push(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'steadfast-roles-'));
const tokensFile = join(dir, 'tokens.yaml');
writeFileSync(
  tokensFile,
  [
    'tokens:',
    ...(Object.entries(TOKENS) as [Role, string][]).map(
      ([role, token]) => `  - { identity: ${role}-only, roles: [${role}], token: ${token} }`,
    ),
  ].join('\n'),
);
const settings: Settings = loadSettings({
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  TEMPORAL_TASK_QUEUE: TASK_QUEUE,
  STEADFAST_TOKENS_FILE: tokensFile,
  STEADFAST_DEBOUNCE: '100ms',
  STEADFAST_API_PORT: '0',
  STEADFAST_REPORTS_DIR: join(dir, 'reports'),
});
// Built before the tests are collected (its Temporal connection is lazy), so the tables below can
// follow the routes it serves.
const app: Express = await testApp(settings, { docker: testDocker() });
const served = servedRoutes(app);

let server: RunningServer;
let client: Client;
let worker: TestWorker;
let incidentId = '';

async function call(method: string, path: string, caller: Caller, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (caller !== 'none') headers['authorization'] = `Bearer ${TOKENS[caller]}`;
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // a page, a script, metrics
  }
  return { status: response.status, json };
}

const pathOf = (row: RouteRow): string =>
  row.route.replace(':id', incidentId).replace(':operation', 'decode').replace(':name', 'roles');

async function incident(): Promise<IncidentState> {
  const r = await call('GET', `/api/v1/incidents/${incidentId}`, 'read');
  expect(r.status).toBe(200);
  return r.json['incident'] as IncidentState;
}

async function guard(): Promise<unknown> {
  const r = await call('GET', '/api/v1/remediation/guard', 'read');
  expect(r.status).toBe(200);
  return r.json['guard'];
}

const exists = (id: string): Promise<boolean> => workflowExists(client, id);

let incidentBefore: IncidentState;
let guardBefore: unknown;

beforeAll(async () => {
  // No runbook matches: the incident stays open, waiting for people, and nothing acts on anything.
  worker = await startTestWorker(testActivities({ runbooks: {} }), TASK_QUEUE);
  client = await testClient();
  server = await listen(app, '127.0.0.1', 0);

  const opened = await call(
    'POST',
    '/api/v1/alertmanager',
    'ingest',
    alertPayload({
      alertname: 'RolesOpen',
      labels: { service: `roles-open-${run}`, severity: 'critical' },
      summary: 'the incident the refused decisions aim at',
    }),
  );
  expect(opened.status).toBe(202);
  incidentId = (opened.json['incidents'] as { incidentId: string }[])[0]?.incidentId ?? '';
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = await incident().catch(() => undefined);
    if (s?.stage === 'recommend' && s.recommendation === null) break;
    if (Date.now() > deadline) throw new Error(`incident ${incidentId} did not settle: ${s?.stage}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // Paused by an approver, so that a refused resume (or pause) would show in the guard.
  expect((await call('POST', '/api/v1/remediation/pause', 'approve', { reason: 'held' })).status).toBe(200);
  incidentBefore = await incident();
  guardBefore = await guard();
});

afterAll(async () => {
  await server?.close();
  await worker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the route table', () => {
  it('names every route the app serves', () => {
    const named = ROUTES.map((r) => `${r.method} ${r.route}`);
    expect(served.length).toBeGreaterThan(10);
    expect(served.filter((r) => !named.includes(r))).toEqual([]);
  });
});

// A row for a route this build does not serve would only meet the 404 handler: left out, while the
// check above keeps every served route in the table.
const rowsServed = (): RouteRow[] => ROUTES.filter((r) => served.includes(`${r.method} ${r.route}`));

const refusals = rowsServed().flatMap((row) =>
  row.role === 'public'
    ? []
    : CALLERS.filter((c) => c !== row.role).map((caller) => [row.method, row.route, caller, row] as const),
);

describe('callers without the role', () => {
  it.each(refusals)('%s %s as %s: refused', async (method, _route, caller, row) => {
    const r = await call(method, pathOf(row), caller, row.refusedBody);
    if (caller === 'none') {
      expect(r.status).toBe(401);
      expect(r.json['error']).toBe('Unauthenticated');
    } else {
      expect(r.status).toBe(403);
      expect(r.json).toMatchObject({
        error: 'Forbidden',
        message: `${caller}-only lacks the ${row.role} role`,
      });
    }
  });

  it('changed nothing: the incident, the pause, and no incident from the refused alerts', async () => {
    expect(await incident()).toEqual(incidentBefore);
    expect(await guard()).toEqual(guardBefore);
    expect(guardBefore).toMatchObject({ paused: { actor: 'approve-only', reason: 'held' } });
    expect((await call('GET', '/api/v1/rules', 'read')).json).toMatchObject({ rules: [], audit: [] });

    const fromWebhook = correlate(
      refusedWebhook.commonLabels,
      `${refusedWebhook.receiver}/${refusedWebhook.groupKey}`,
      settings.correlationLabels,
    ).incidentId;
    const alert = alertFromGeneric(genericAlertSchema.parse(refusedAlert), new Date());
    const fromAlert = correlate(alert.labels, alert.fingerprint, settings.correlationLabels).incidentId;
    expect(await exists(fromWebhook), fromWebhook).toBe(false);
    expect(await exists(fromAlert), fromAlert).toBe(false);
  });
});

describe('callers with the role', () => {
  const allowed = rowsServed().flatMap((row) =>
    (row.role === 'public' ? CALLERS : [row.role]).map(
      (caller) => [row.method, row.route, caller, row] as const,
    ),
  );

  it.each(allowed)('%s %s as %s: past the door', async (method, _route, caller, row) => {
    const r = await call(method, pathOf(row), caller, row.body);
    expect(r.status, JSON.stringify(r.json)).not.toBe(401);
    expect(r.json['error'], JSON.stringify(r.json)).not.toBe('Forbidden');
    expect(r.status, JSON.stringify(r.json)).toBeLessThan(500);
  });

  it('the approver really decided and resumed: the door was the only thing in the way', async () => {
    const s = await incident();
    expect(s.stage).toBe('closed');
    expect(await guard()).toMatchObject({ paused: null });
  });
});
