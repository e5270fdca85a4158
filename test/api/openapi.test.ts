/**
 * Real answers of the real API hold to its OpenAPI document: incidents are opened, decided and closed on
 * a real Temporal server and worker (detection and forecast reading a real Prometheus), every operation
 * is called, and each answer's body is validated (Ajv, JSON Schema 2020-12) against the schema the
 * document gives for its status. Every route the app serves is in the document, and every operation in
 * the document is exercised.
 */
import type { Express } from 'express';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDocument } from '../../src/api/openapi/index.js';
import { loadSettings } from '../../src/config/settings.js';
import {
  alertPayload,
  incidentIdOf,
  startApiHarness,
  startRisingMetric,
  testApp,
  TOKENS,
  type ApiHarness,
} from '../support/api-harness.js';
import { resolvable, schemaValidator, withComponents } from '../support/openapi.js';

const RUNBOOK = `
title: Wait it out
match: { alertnames: [OpenapiWait] }
risk: medium
approvers: [alice]
approval:
  escalation:
    - notify: [{ type: log }, { type: webhook, url: { secret: { env: OPENAPI_TEST_HOOK } } }]
      wait: 10m
steps:
  - action: wait
    duration: 1s
verify: { within: 3s, interval: 1s }
`;

const run = Date.now().toString(36);
const ajv = schemaValidator({ strict: true });
const doc = withComponents(ajv);
const compiled = new Map<string, ValidateFunction>();
/** `METHOD template` → the statuses whose answers were validated. */
const exercised = new Map<string, Set<string>>();

let api: ApiHarness;
let metric: Awaited<ReturnType<typeof startRisingMetric>>;
const ids = { approved: '', rejected: '', resolved: '' };

interface Checked {
  status: number;
  json: Record<string, unknown>;
}

/**
 * Calls the API and validates the answer against the document: the operation must exist, the status must
 * be one it documents, and a JSON body must match that status's schema.
 */
async function check(
  method: string,
  template: string,
  options: { path?: string; token?: string; body?: unknown; raw?: string; type?: string } = {},
): Promise<Checked> {
  const path = options.path ?? template;
  const op = doc.paths[template]?.[method.toLowerCase()];
  expect(op, `${method} ${template} is not in the document`).toBeDefined();
  const headers: Record<string, string> = { 'content-type': options.type ?? 'application/json' };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  const body = options.raw ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
  const r = await fetch(`${api.server.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await r.text();
  const status = String(r.status);
  const answer = op?.responses[status];
  expect(
    answer,
    `${method} ${template} answered ${status}, which the document does not list: ${text}`,
  ).toBeDefined();
  const [type, media] = Object.entries(answer?.content ?? {})[0] ?? [];
  if (type) expect(r.headers.get('content-type') ?? '', `${method} ${template} ${status}`).toContain(type);
  let json: Record<string, unknown> = {};
  if (type === 'application/json') {
    json = JSON.parse(text) as Record<string, unknown>;
    const key = `${method} ${template} ${status}`;
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(resolvable(media?.schema));
      compiled.set(key, validate);
    }
    expect(validate(json), `${key}: ${JSON.stringify(validate.errors)}\n${text.slice(0, 2000)}`).toBe(true);
  }
  const seen = exercised.get(`${method.toUpperCase()} ${template}`) ?? new Set<string>();
  exercised.set(`${method.toUpperCase()} ${template}`, seen.add(status));
  return { status: r.status, json };
}

const viewer = { token: TOKENS.viewer };
const alice = { token: TOKENS.alice };

beforeAll(async () => {
  metric = await startRisingMetric('openapi_test_ratio', 'openapi', ['OpenapiWait']);
  api = await startApiHarness({
    taskQueue: 'openapi-tests',
    runbooks: { 'wait.yaml': RUNBOOK, 'broken.yaml': 'title: [' },
    prometheusUrl: metric.prometheus.url,
  });
  const risingSince = await metric.rise();
  await new Promise((r) => setTimeout(r, 6000));
  const opened = await check('POST', '/api/v1/alertmanager', {
    ...alice,
    body: alertPayload({
      alertname: 'OpenapiWait',
      labels: { service: `openapi-1-${run}`, severity: 'warning' },
      summary: 'an incident with a detection and a forecast',
      prometheus: { url: metric.prometheus.url, expr: metric.expr },
      startsAt: risingSince,
    }),
  });
  ids.approved = await incidentIdOf(opened);
  const generic = (n: number) => ({
    title: 'OpenapiWait',
    severity: 'critical',
    service: `openapi-${n}-${run}`,
    labels: { alertname: 'OpenapiWait' },
  });
  ids.rejected = await incidentIdOf(await check('POST', '/api/v1/alerts', { ...alice, body: generic(2) }));
  ids.resolved = await incidentIdOf(await check('POST', '/api/v1/alerts', { ...alice, body: [generic(3)] }));
  for (const id of Object.values(ids)) await api.waitFor(id, (s) => s.stage === 'approve', 60_000);
}, 180_000);

afterAll(async () => {
  await api?.stop();
  await metric?.close();
});

describe('answers of the real API, against docs/openapi.json', () => {
  it('incidents: listed, shown at approval and once closed, decided four ways, refused where they should be', async () => {
    const template = '/api/v1/incidents/{id}';
    const at = (id: string, suffix = '') => ({ path: `/api/v1/incidents/${id}${suffix}` });
    await check('GET', template, { ...viewer, ...at(ids.approved) });
    await check('GET', '/api/v1/incidents', {
      ...viewer,
      path: `/api/v1/incidents?service=openapi-1-${run}`,
    });
    expect(
      (await check('GET', '/api/v1/incidents', { ...viewer, path: '/api/v1/incidents?status=x' })).status,
    ).toBe(400);
    expect((await check('GET', template, { ...viewer, ...at('no-such-incident') })).status).toBe(404);

    expect(
      (await check('POST', `${template}/approve`, { token: TOKENS.mallory, ...at(ids.approved, '/approve') }))
        .status,
    ).toBe(403);
    await check('POST', `${template}/approve`, {
      ...alice,
      ...at(ids.approved, '/approve'),
      body: { reason: 'go' },
    });
    await check('POST', `${template}/reject`, { ...alice, ...at(ids.rejected, '/reject') });
    await check('POST', `${template}/acknowledge`, { ...alice, ...at(ids.resolved, '/acknowledge') });
    await check('POST', `${template}/resolve`, { ...alice, ...at(ids.resolved, '/resolve') });
    expect(
      (await check('POST', `${template}/approve`, { ...viewer, ...at(ids.approved, '/approve') })).status,
    ).toBe(403);
    expect(
      (
        await check('POST', `${template}/approve`, {
          ...alice,
          ...at(ids.approved, '/approve'),
          body: { actor: 'x' },
        })
      ).status,
    ).toBe(400);

    for (const id of Object.values(ids)) await api.waitFor(id, (s) => s.stage === 'closed', 60_000);
    const closed = await check('GET', template, { ...viewer, ...at(ids.approved) });
    const incident = closed.json['incident'] as { detection?: { status: string }; actions: unknown[] };
    expect(incident.detection?.status).toBe('scored');
    expect(incident.actions.length).toBeGreaterThan(0);
    await check('GET', template, { ...viewer, ...at(ids.rejected) });
    expect(
      (await check('POST', `${template}/resolve`, { ...alice, ...at(ids.rejected, '/resolve') })).status,
    ).toBe(409);
    // Verdicts on closed incidents (test/verdicts/ checks what they record).
    const verdict = `${template}/verdict`;
    await check('POST', verdict, { ...alice, ...at(ids.resolved, '/verdict'), body: { verdict: 'noise' } });
    await check('GET', verdict, { ...viewer, ...at(ids.resolved, '/verdict') });
    const badVerdict = { ...alice, ...at(ids.rejected, '/verdict'), body: { verdict: 'duplicate' } };
    expect((await check('POST', verdict, badVerdict)).status).toBe(400);
    const noIncident = { ...alice, ...at('no-such-incident', '/verdict'), body: { verdict: 'noise' } };
    expect((await check('POST', verdict, noIncident)).status).toBe(404);
    expect((await check('GET', verdict, { ...viewer, ...at('no-such-incident', '/verdict') })).status).toBe(
      404,
    );
    await check('GET', '/api/v1/verdicts', viewer);
    await check('GET', `${template}/report`, { ...viewer, ...at(ids.approved, '/report') });
    await check('GET', `${template}/postmortem`, { ...viewer, ...at(ids.approved, '/postmortem') });
  });

  it('ingest refusals: bad payload, no token, a token without the role', async () => {
    expect((await check('POST', '/api/v1/alertmanager', { ...alice, body: { version: '3' } })).status).toBe(
      400,
    );
    expect((await check('POST', '/api/v1/alertmanager', { body: {} })).status).toBe(401);
    expect((await check('POST', '/api/v1/alerts', { ...viewer, body: {} })).status).toBe(403);
  });

  it('alerts, runbooks, the guard, identity, codec, health, metrics and the document itself', async () => {
    const listed = await check('GET', '/api/v1/alerts', {
      ...viewer,
      path: `/api/v1/alerts?service=openapi-1-${run}`,
    });
    const [first] = listed.json['alerts'] as { fingerprint: string }[];
    await check('GET', '/api/v1/alerts/{fingerprint}', {
      ...viewer,
      path: `/api/v1/alerts/${encodeURIComponent(first?.fingerprint ?? '')}?service=openapi-1-${run}`,
    });
    expect(
      (
        await check('GET', '/api/v1/alerts/{fingerprint}', {
          ...viewer,
          path: `/api/v1/alerts/none?service=openapi-1-${run}`,
        })
      ).status,
    ).toBe(404);
    expect(
      (await check('GET', '/api/v1/alerts', { ...viewer, path: '/api/v1/alerts?since=now' })).status,
    ).toBe(400);

    await check('GET', '/api/v1/runbooks', viewer);
    // No on-call file here: the answer says so (test/oncall/api.test.ts checks one with rotations).
    await check('GET', '/api/v1/oncall', viewer);
    expect(
      (await check('GET', '/api/v1/oncall', { ...viewer, path: '/api/v1/oncall?rotation=x' })).status,
    ).toBe(404);
    await check('POST', '/api/v1/runbooks/validate', { ...viewer, raw: RUNBOOK, type: 'application/yaml' });
    await check('POST', '/api/v1/runbooks/validate', {
      ...viewer,
      raw: 'title: x',
      type: 'application/yaml',
    });

    // The harness's podman engine (test/fleet/ checks the rows and the 503 of an engine that is down).
    expect((await check('GET', '/api/v1/fleet', viewer)).status).toBe(200);
    // The severity model (test/severity/ checks what it learns): a correction, and one refused.
    const severity = { ...alice, path: `/api/v1/incidents/${ids.resolved}/severity` };
    const correct = '/api/v1/incidents/{id}/severity';
    await check('POST', correct, { ...severity, body: { severity: 'critical', reason: 'openapi' } });
    expect((await check('POST', correct, { ...severity, body: { severity: 'Loud!' } })).status).toBe(400);
    await check('GET', '/api/v1/severity', viewer);
    // Clusters and merges (test/clusters/ checks what they hold and do); these merges are refused.
    await check('GET', '/api/v1/clusters', { ...viewer, path: `/api/v1/clusters?service=openapi-1-${run}` });
    expect(
      (await check('GET', '/api/v1/clusters', { ...viewer, path: '/api/v1/clusters?limit=0' })).status,
    ).toBe(400);
    const merge = { ...alice, path: `/api/v1/incidents/${ids.approved}/merge` };
    expect(
      (await check('POST', '/api/v1/incidents/{id}/merge', { ...merge, body: { into: ids.approved } }))
        .status,
    ).toBe(400);
    expect(
      (await check('POST', '/api/v1/incidents/{id}/merge', { ...merge, body: { into: `none-${run}` } }))
        .status,
    ).toBe(404);
    await check('GET', '/api/v1/remediation/guard', viewer);
    await check('POST', '/api/v1/remediation/pause', { ...alice, body: { reason: 'openapi test' } });
    await check('POST', '/api/v1/remediation/resume', alice);
    expect((await check('POST', '/api/v1/remediation/pause', { ...alice, body: {} })).status).toBe(400);

    // Escalation rules (test/rules/ checks what they do).
    const rule = {
      name: `openapi-${run}`,
      condition: 'service == "none"',
      escalation: { delay: 60, channels: ['log'] },
    };
    const rulePath = { ...alice, path: `/api/v1/rules/openapi-${run}` };
    expect((await check('POST', '/api/v1/rules', { ...alice, body: rule })).status).toBe(201);
    expect((await check('POST', '/api/v1/rules', { ...alice, body: rule })).status).toBe(200);
    const badRule = { ...rule, condition: 'service = "none"' };
    expect((await check('POST', '/api/v1/rules', { ...alice, body: badRule })).status).toBe(400);
    await check('GET', '/api/v1/rules', viewer);
    expect((await check('DELETE', '/api/v1/rules/{name}', rulePath)).status).toBe(200);
    expect((await check('DELETE', '/api/v1/rules/{name}', rulePath)).status).toBe(404);

    await check('GET', '/api/v1/me', viewer);
    expect(
      (
        await check('POST', '/api/v1/codec/{operation}', {
          ...viewer,
          path: '/api/v1/codec/decode',
          body: { payloads: [] },
        })
      ).status,
    ).toBe(404);
    await check('OPTIONS', '/api/v1/codec/{operation}', { path: '/api/v1/codec/encode' });
    await check('GET', '/api/v1/health');
    await check('GET', '/api/v1/health', viewer);
    await check('GET', '/metrics');
    const served = await check('GET', '/api/v1/openapi.json');
    expect(served.json).toEqual(apiDocument());
  });

  it('describes every route the app serves, and every operation it describes was exercised', async () => {
    const app: Express = await testApp(
      loadSettings({ STEADFAST_API_TOKEN: 'x'.repeat(20), STEADFAST_API_PORT: '0' }),
    );
    const served = routesOf((app as unknown as { router: Layer }).router)
      // The web console and its files are pages, not the API.
      .filter((r) => !/^GET \/(?:$|vendor\/)/.test(r))
      .sort();
    const described = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(served).toEqual(described);
    expect([...exercised.keys()].sort()).toEqual(described);
  });
});

interface Layer {
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  stack?: Layer[];
}

/** `METHOD /path/{param}` of every route in an Express 5 router, mounted routers included. */
function routesOf(router: Layer, prefix = ''): string[] {
  return (router.stack ?? []).flatMap((layer) => {
    if (layer.route) {
      const path = `${prefix}${layer.route.path}`.replace(/:(\w+)/g, '{$1}');
      return Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${path}`);
    }
    const mounted = layer.handle?.stack ? layer.handle : undefined;
    return mounted
      ? routesOf(mounted, `${prefix}${layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : ''}`)
      : [];
  });
}
