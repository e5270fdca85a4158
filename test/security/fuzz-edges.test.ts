/**
 * A property-based abuse test of the API's HTTP edges, driven by the OpenAPI document the API serves:
 * every operation gets seeded, deterministic malformed requests (wrong types, missing and extra fields,
 * deep nesting, megabytes, lone surrogates, `__proto__`, 1e309, wrong content types, bad path and query
 * parameters, header abuse), on the real API in front of a real Temporal server and worker. Each answer
 * must be a documented 2xx, a 4xx with a JSON error, or a documented 503; the API must still answer
 * /health; a refused request must change no workflow (an open incident's history and state, the entity
 * workflows', and no workflow started); and Object.prototype stays as it was. FUZZ_RUNS and FUZZ_SEED
 * run it longer or elsewhere.
 */
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { listen, type RunningServer } from '../../src/api/server.js';
import { loadSettings } from '../../src/config/settings.js';
import { guardWorkflowId } from '../../src/workflows/guard.js';
import { REFUSAL, stateQuery } from '../../src/workflows/messages.js';
import { rulesWorkflowId } from '../../src/workflows/rules.js';
import { severityWorkflowId } from '../../src/workflows/severity.js';
import { verdictLedgerWorkflowId } from '../../src/workflows/verdicts.js';
import {
  alertPayload,
  incidentIdOf,
  startApiHarness,
  testApp,
  TOKENS,
  type ApiHarness,
} from '../support/api-harness.js';
import { resolvable, schemaValidator, withComponents } from '../support/openapi.js';
import { workflowExists } from '../support/temporal.js';
import {
  BOUNDARY,
  boundaryFor,
  boundaryMutations,
  FuzzRequest,
  headerAbuse,
  HOST,
  hostileText,
  mutate,
  mutation,
  percentEncoded,
  queryBoundaries,
  Raw,
  rawAnswers,
  rawQueryPairs,
  rawRequests,
  rawSegment,
  render,
  send,
  sendRaw,
  treeOf,
  wholeBodies,
  type Answer,
  type Tree,
} from './support/fuzz-http.js';
import { webhookBody } from '../support/webhook.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_201);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 12);
const run = Date.now().toString(36);
const TASK_QUEUE = `fuzz-edges-${run}`;
/** A well-formed incident ID no incident has. */
const NO_INCIDENT = `incident-fuzz-none-${run}`;

const ajv = schemaValidator({ strict: false });
const doc = withComponents(ajv);

interface Operation {
  method: string;
  template: string;
  operationId: string;
  parameters: { name: string; in: 'path' | 'query'; required: boolean }[];
  body?: { contentType: string };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

const operations: Operation[] = Object.entries(
  doc.paths as unknown as Record<
    string,
    Record<string, Omit<Operation, 'method' | 'template' | 'body'> & { requestBody?: { content: object } }>
  >,
).flatMap(([template, item]) =>
  Object.entries(item).map(([method, op]) => ({
    ...op,
    method: method.toUpperCase(),
    template,
    parameters: op.parameters ?? [],
    ...(op.requestBody ? { body: { contentType: Object.keys(op.requestBody.content)[0] ?? '' } } : {}),
  })),
);

/** 503s are documented as "retry later": these are the codes that say so. */
const RETRY_LATER = new Set([
  'TemporalUnavailable',
  'IncidentBusy',
  'IncidentUnavailable',
  'DecisionUnanswered',
  'TooManyNewIncidents',
  'CalendarUnread',
]);

let api: ApiHarness;
let codecApi: RunningServer;
let client: Client;
let fixture = { id: '', fingerprint: '' };
const fixtureService = `fuzz-fixture-${run}`;
/** Workflows the fuzzer may see: the fixture, the entity workflows, and what accepted requests opened. */
const accounted = new Set<string>();

const watched = (): string[] => [
  fixture.id,
  rulesWorkflowId(TASK_QUEUE),
  guardWorkflowId(TASK_QUEUE),
  severityWorkflowId(TASK_QUEUE),
  verdictLedgerWorkflowId(TASK_QUEUE),
];

// ---------------------------------------------------------------------------------------------------
// Valid requests, one per operation: the fuzzer's mutations start from them, so they reach past the
// first check. Chosen to change little when accepted: resolved alerts, a stale `opened`, no such target.

const STALE = '2026-01-01T00:00:00Z';
const resolvedWebhook = () =>
  alertPayload({
    alertname: 'FuzzSeed',
    labels: { service: `fuzz-seed-${run}`, severity: 'warning' },
    summary: 'seed',
    status: 'resolved',
  });
const decision = { reason: 'fuzz', override: false, round: 0, opened: STALE };
const plainPayload = {
  metadata: { encoding: Buffer.from('json/plain').toString('base64') },
  data: Buffer.from('"x"').toString('base64'),
};
let sealed: unknown = plainPayload;

const BODIES: Record<string, () => unknown> = {
  ingestAlertmanager: resolvedWebhook,
  ingestAlerts: () => [
    {
      title: 'Fuzz seed',
      description: 'd',
      severity: 'warning',
      service: `fuzz-seed-${run}`,
      labels: { team: 'fuzz' },
      status: 'resolved',
      startsAt: STALE,
      dedupKey: 'k',
      generatorURL: 'http://127.0.0.1:9/graph?g0.expr=up',
    },
  ],
  mergeIncident: () => ({ into: NO_INCIDENT, reason: 'fuzz', opened: STALE, intoOpened: STALE }),
  approveIncident: () => decision,
  rejectIncident: () => decision,
  acknowledgeIncident: () => decision,
  resolveIncident: () => decision,
  putRule: () => ({
    name: 'Fuzz rule',
    condition: `service == "never-${run}" AND severity in ["a", "b"] OR NOT (team != "x")`,
    escalation: { delay: '5m', channels: ['log'], recipients: [] },
  }),
  giveVerdict: () => ({ verdict: 'duplicate', duplicateOf: NO_INCIDENT, note: 'n', via: 'api' }),
  correctSeverity: () => ({ severity: 'critical', reason: 'fuzz' }),
  pauseRemediation: () => ({ reason: 'fuzz' }),
  resumeRemediation: () => ({}),
  // A payload the codec sealed and one it did not: decode opens the first and passes the second.
  codec: () => ({ payloads: [sealed, plainPayload] }),
};

const RUNBOOK = `title: Fuzz\nmatch: { alertnames: [FuzzRunbook] }\nrisk: low\nsteps:\n  - action: wait\n    duration: 1s\n`;
const TEXT_BODIES: Record<string, string> = { validateRunbook: RUNBOOK };

/** Valid queries; the cursor is one the API gave for the fixture's first alert. */
let cursor = '';
const QUERIES: Record<string, () => Record<string, string>> = {
  listAlerts: () => ({ status: 'firing', service: fixtureService, since: STALE, limit: '1', cursor }),
  listClusters: () => ({ service: fixtureService, limit: '5' }),
  getAlert: () => ({ service: fixtureService, since: STALE }),
  listIncidents: () => ({
    status: 'open',
    service: fixtureService,
    severity: 'warning',
    stage: 'recommend',
    limit: '5',
  }),
  getIncidentReport: () => ({ download: '1' }),
  getIncidentPostmortem: () => ({ download: '0' }),
  whoIsOnCall: () => ({ rotation: 'primary', at: '2026-12-25T12:00:00Z' }),
  verdictSummary: () => ({
    days: '7',
    timeZone: 'Europe/Paris',
    minVerdicts: '3',
    noiseShare: '0.5',
    limit: '10',
  }),
};

const PATH_PARAMS: Record<string, () => string[]> = {
  id: () => [fixture.id, NO_INCIDENT],
  fingerprint: () => [fixture.fingerprint, 'fp-none'],
  name: () => ['Fuzz rule', 'none'],
  operation: () => ['decode', 'encode'],
};

// ---------------------------------------------------------------------------------------------------
// Requests

/** Path parameters: a valid value, a hostile one (encoded), or a raw segment no route expects. */
function pathArb(op: Operation): fc.Arbitrary<{ path: string; abuse: string[] }> {
  const names = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
  const values = names.map((name) =>
    fc.oneof(
      { weight: 5, arbitrary: fc.nat().map((i) => ({ raw: '', pick: i, name })) },
      {
        weight: 2,
        arbitrary: hostileText.map((t) => ({ raw: percentEncoded(t.slice(0, 300)), pick: -1, name })),
      },
      { weight: 1, arbitrary: rawSegment.map((raw) => ({ raw, pick: -1, name })) },
    ),
  );
  return fc.tuple(...values).map((chosen) => {
    let path = op.template;
    const abuse: string[] = [];
    for (const c of chosen) {
      const seeds = PATH_PARAMS[c.name]?.() ?? ['x'];
      const value = c.pick >= 0 ? encodeURIComponent(seeds[c.pick % seeds.length] ?? 'x') : c.raw;
      if (c.pick < 0) abuse.push(`path ${c.name}`);
      path = path.replace(`{${c.name}}`, value);
    }
    return { path, abuse };
  });
}

type QueryChange =
  | { kind: 'drop' | 'dup' | 'hostile'; at: number; value: string }
  | { kind: 'boundary'; at: number; pick: number }
  | { kind: 'raw'; raw: string };

const queryChange: fc.Arbitrary<QueryChange> = fc.oneof(
  fc.record({ kind: fc.constantFrom('drop', 'dup', 'hostile'), at: fc.nat(), value: hostileText }),
  fc.record({ kind: fc.constant('boundary'), at: fc.nat(), pick: fc.nat() }),
  fc.record({ kind: fc.constant('raw'), raw: rawQueryPairs }),
);

const decoded = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** The query with one change: pairs are `key=value` as written on the wire. */
function changed(pairs: string[], c: QueryChange): string[] {
  if (c.kind === 'raw') return [...pairs, c.raw];
  const i = pairs.length > 0 ? c.at % pairs.length : -1;
  const [key = 'extra', value = ''] = pairs[i]?.split('=') ?? [];
  const others = pairs.filter((_, j) => j !== i);
  if (c.kind === 'boundary') {
    const edge = boundaryFor(decoded(value), c.pick);
    const text = edge instanceof Raw ? edge.text : edge;
    return text === undefined ? pairs : [...others, `${key}=${percentEncoded(text)}`];
  }
  const hostile = `${key}=${percentEncoded(c.value.slice(0, 2000))}`;
  if (c.kind === 'drop') return others;
  return c.kind === 'dup' ? [...pairs, hostile] : [...others, hostile];
}

function queryArb(op: Operation): fc.Arbitrary<{ query: string; abuse: string[] }> {
  const seed = QUERIES[op.operationId]?.() ?? {};
  return fc.array(queryChange, { maxLength: 3 }).map((changes) => {
    const start = Object.entries(seed).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
    const pairs = changes.reduce(changed, start);
    return {
      query: pairs.length > 0 ? `?${pairs.join('&')}` : '',
      abuse: changes.map((c) => `query ${c.kind}`),
    };
  });
}

type BodyChoice =
  | { kind: 'seed' }
  | { kind: 'mutated'; tree: Tree | undefined; count: number }
  | { kind: 'whole'; bytes: Buffer; headers: [string, string][]; what: string }
  | { kind: 'text'; text: string };

function bodyArb(op: Operation): fc.Arbitrary<BodyChoice> {
  const json = BODIES[op.operationId];
  const text = TEXT_BODIES[op.operationId];
  const valid = json ? JSON.stringify(json()) : (text ?? '{}');
  const whole = wholeBodies(valid).map((w): BodyChoice => ({ kind: 'whole', headers: [], ...w }));
  if (text !== undefined) {
    const yaml = fc.constantFrom(
      `${'['.repeat(100_000)}`,
      `a: &a [x, x, x, x, x, x, x, x]\n${Array.from({ length: 20 }, (_, i) => `b${i}: &b${i} [*${i ? `b${i - 1}` : 'a'}, *${i ? `b${i - 1}` : 'a'}]`).join('\n')}\n`,
      '__proto__: { polluted: true }\ntitle: x\n',
      'constructor: { prototype: { polluted: true } }\n',
      '!!js/function "function () { return 1 }"',
      `title: ${'x'.repeat(300_000)}`,
      'title: "\\ud800"\n',
      '<<: { polluted: true }\ntitle: x\n',
    );
    return fc.oneof(
      { weight: 1, arbitrary: fc.constant<BodyChoice>({ kind: 'seed' }) },
      {
        weight: 3,
        arbitrary: fc.oneof(yaml, hostileText).map((t): BodyChoice => ({ kind: 'text', text: t })),
      },
      { weight: 2, arbitrary: whole },
    );
  }
  const tree = treeOf(json ? json() : {});
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<BodyChoice>({ kind: 'seed' }) },
    {
      weight: 6,
      arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms): BodyChoice => ({
        kind: 'mutated',
        tree: ms.reduce<Tree | undefined>((t, m) => (t === undefined ? t : mutate(t, m)), tree),
        count: ms.length,
      })),
    },
    { weight: 2, arbitrary: whole },
  );
}

/** A request to the operation, abused in one to three of its parts, or valid. */
function requestArb(op: Operation): fc.Arbitrary<FuzzRequest> {
  const methods = fc.oneof(
    { weight: 12, arbitrary: fc.constant(op.method) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE') },
  );
  const headers = fc.oneof(
    { weight: 4, arbitrary: fc.constant<[string, string][]>([]) },
    { weight: 1, arbitrary: headerAbuse({ valid: TOKENS.alice, readOnly: TOKENS.viewer }) },
  );
  return fc
    .record({
      method: methods,
      path: pathArb(op),
      query: fc.oneof(
        { weight: 2, arbitrary: fc.constant({ query: '', abuse: [] as string[], seed: true }) },
        { weight: 1, arbitrary: queryArb(op).map((q) => ({ ...q, seed: false })) },
      ),
      headers,
      body: bodyArb(op),
    })
    .map(({ method, path, query, headers, body }) => buildRequest(op, method, path, query, headers, body));
}

function buildRequest(
  op: Operation,
  method: string,
  path: { path: string; abuse: string[] },
  query: { query: string; abuse: string[]; seed: boolean },
  headers: [string, string][],
  body: BodyChoice,
): FuzzRequest {
  const seedQuery = QUERIES[op.operationId]?.();
  const q = query.seed ? (seedQuery ? `?${new URLSearchParams(seedQuery).toString()}` : '') : query.query;
  const takesBody = op.body !== undefined || method !== op.method;
  let bytes: Buffer | undefined;
  const bodyHeaders: [string, string][] = [];
  const abuse = [...path.abuse, ...query.abuse];
  if (method !== op.method) abuse.push(`method ${method}`);
  const json = BODIES[op.operationId];
  const text = TEXT_BODIES[op.operationId];
  if (body.kind === 'seed')
    bytes = json ? Buffer.from(JSON.stringify(json())) : text ? Buffer.from(text) : undefined;
  else if (body.kind === 'mutated') {
    bytes = body.tree === undefined ? undefined : Buffer.from(render(body.tree));
    abuse.push(`body: ${body.count} mutations`);
  } else if (body.kind === 'text') {
    bytes = Buffer.from(body.text);
    abuse.push('body: text');
  } else {
    bytes = body.bytes;
    bodyHeaders.push(...body.headers);
    abuse.push(`body: ${body.what}`);
  }
  if (!takesBody && body.kind === 'seed') bytes = undefined;
  const overridden = new Set(headers.map(([k]) => k));
  const base: [string, string][] = [
    ['content-type', op.body?.contentType ?? 'application/json'],
    ['authorization', `Bearer ${TOKENS.alice}`],
    ['host', HOST],
  ];
  // An abused header replaces the valid one; an empty value leaves it out (no token, no Host).
  const all = [
    ...base.filter(([k]) => !overridden.has(k)),
    ...headers.filter(([, v]) => v !== ''),
    ...bodyHeaders,
  ];
  if (headers.length > 0) abuse.push(`headers ${headers.map(([k]) => k).join(',')}`);
  return new FuzzRequest(method, `${path.path}${q}`, all, bytes, abuse);
}

/**
 * The operation's valid request with one field at one of its boundaries, for every query parameter and
 * body field and every boundary of its kind: random abuse seldom lands on the year 0000 in `since`.
 */
function edgeRequests(op: Operation): FuzzRequest[] {
  const params: Record<string, string> = {};
  for (const p of op.parameters.filter((x) => x.in === 'path'))
    params[p.name] = PATH_PARAMS[p.name]?.()[0] ?? 'x';
  const path = {
    path: op.template.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(params[n] ?? 'x')),
    abuse: [],
  };
  const seedQuery = QUERIES[op.operationId]?.() ?? {};
  const seed = { kind: 'seed' } as const;
  const queries = Object.entries(seedQuery).flatMap(([key, value]) =>
    queryBoundaries(value).map((edge) => {
      const query = new URLSearchParams({ ...seedQuery, [key]: edge }).toString();
      return buildRequest(
        op,
        op.method,
        path,
        { query: `?${query}`, abuse: [`edge ${key}`], seed: false },
        [],
        seed,
      );
    }),
  );
  const json = BODIES[op.operationId];
  const tree = json ? treeOf(json()) : undefined;
  const bodies = (tree ? boundaryMutations(tree) : []).map((m) =>
    buildRequest(op, op.method, path, { query: '', abuse: [], seed: true }, [], {
      kind: 'mutated',
      tree: mutate(tree ?? null, m),
      count: 1,
    }),
  );
  return [...queries, ...bodies];
}

// ---------------------------------------------------------------------------------------------------
// What every answer must be

const validators = new Map<string, ValidateFunction>();
function validatorFor(key: string, schema: unknown): ValidateFunction {
  let v = validators.get(key);
  if (!v) {
    v = ajv.compile(resolvable(schema));
    validators.set(key, v);
  }
  return v;
}

/** The operation a request reaches, by method and path as the router matches them. */
function routed(r: FuzzRequest): Operation | undefined {
  // Express routes without strict routing: one trailing slash is the same path.
  const path = (r.path.split('?')[0] ?? '').replace(/(.)\/$/, '$1');
  return operations.find(
    (op) =>
      op.method === r.method &&
      new RegExp(`^${op.template.replace(/\{[^}]+\}/g, '[^/]+').replace(/\./g, '\\.')}$`).test(path),
  );
}

const errorValidator = () => validatorFor('error', { $ref: '#/components/schemas/Error' });

function checkAnswer(r: FuzzRequest, answer: Answer): void {
  const shown = `${fc.stringify(r)}\n→ ${answer.status} ${answer.text.slice(0, 500)}`;
  expect(answer.status, `no answer: ${shown}`).toBeGreaterThan(0);
  const op = routed(r);
  const documented = op?.responses[String(answer.status)];
  const schema = documented?.content?.['application/json']?.schema as { $ref?: string } | undefined;
  // An answer documented with its own body (a runbook check's 422) is held to that body below.
  if (answer.status >= 400 && (!schema || schema.$ref === '#/components/schemas/Error')) {
    expect(String(answer.headers['content-type']), `not JSON: ${shown}`).toContain('application/json');
    let body: unknown;
    expect(() => {
      body = JSON.parse(answer.text) as unknown;
    }, `not JSON: ${shown}`).not.toThrow();
    const valid = errorValidator();
    expect(valid(body), `not an error body: ${shown}`).toBe(true);
    expect((body as { message: string }).message.length, `no message: ${shown}`).toBeGreaterThan(0);
    if (answer.status >= 500) {
      expect(answer.status, `a 5xx: ${shown}`).toBe(503);
      expect(documented, `an undocumented 503: ${shown}`).toBeDefined();
      expect(
        RETRY_LATER.has((body as { error: string }).error),
        `a 503 that is not "retry later": ${shown}`,
      ).toBe(true);
    }
    return;
  }
  expect(op, `a ${answer.status} from no documented operation: ${shown}`).toBeDefined();
  expect(documented, `an undocumented ${answer.status}: ${shown}`).toBeDefined();
  const [type, media] = Object.entries(documented?.content ?? {})[0] ?? [];
  if (type) expect(String(answer.headers['content-type']), shown).toContain(type);
  if (type !== 'application/json') return;
  const body: unknown = JSON.parse(answer.text);
  const valid = validatorFor(`${op?.operationId} ${answer.status}`, media?.schema);
  expect(valid(body), `${JSON.stringify(valid.errors)}: ${shown}`).toBe(true);
  if (op?.operationId.startsWith('ingest'))
    for (const i of (body as { incidents: { incidentId: string }[] }).incidents) accounted.add(i.incidentId);
}

// ---------------------------------------------------------------------------------------------------
// What a refused request must leave as it was

type Snapshot = Record<string, string>;

async function describeOf(id: string): Promise<string> {
  try {
    const d = await client.workflow.getHandle(id).describe();
    return `${d.runId} ${d.status.name} ${d.historyLength}`;
  } catch (err) {
    if (err instanceof Error && err.name === 'WorkflowNotFoundError') return 'none';
    throw err;
  }
}

async function snapshot(withState: boolean): Promise<Snapshot> {
  const ids = watched();
  const described = await Promise.all(ids.map(describeOf));
  const out: Snapshot = Object.fromEntries(ids.map((id, i) => [id, described[i] ?? '']));
  if (withState)
    out['fixture state'] = JSON.stringify(await client.workflow.getHandle(fixture.id).query(stateQuery));
  return out;
}

/** Waits until the watched workflows' histories stop growing: what an accepted request set going ends. */
async function settled(): Promise<void> {
  let last = '';
  for (let i = 0; i < 40; i++) {
    const now = JSON.stringify(await snapshot(false));
    if (now === last) return;
    last = now;
    await new Promise((r) => setTimeout(r, 150));
  }
}

const prototypes = { object: Object.prototype, array: Array.prototype, function: Function.prototype };
const prototypeKeys = () =>
  Object.fromEntries(Object.entries(prototypes).map(([k, p]) => [k, Reflect.ownKeys(p).map(String).sort()]));
const baseline = prototypeKeys();

function checkPrototypes(r: unknown): void {
  expect(prototypeKeys(), `Object.prototype changed after ${fc.stringify(r)}`).toEqual(baseline);
  expect(({} as Record<string, unknown>)['polluted'], fc.stringify(r)).toBeUndefined();
}

async function checkHealth(r: unknown): Promise<void> {
  const health = await fetch(`${api.server.url}/api/v1/health`);
  expect(health.status, `no health after ${fc.stringify(r)}`).toBe(200);
}

let current: Snapshot | undefined;

/**
 * A decision the incident refused is noted in its timeline, by design (src/incidents/decisions.ts), so
 * the audit trail holds every attempt: that note is the one change such a refusal may make.
 */
const AUDITED = new Set<string>(Object.values(REFUSAL).filter((r) => r !== REFUSAL.closed));
const DECISIONS = new Set(['approveIncident', 'rejectIncident', 'acknowledgeIncident', 'resolveIncident']);
function auditedRefusal(op: Operation, answer: Answer): boolean {
  if (!DECISIONS.has(op.operationId)) return false;
  try {
    return AUDITED.has((JSON.parse(answer.text) as { error: string }).error);
  } catch {
    return false;
  }
}

function expectOnlyAudited(before: Snapshot, after: Snapshot, message: string): void {
  const rest = (s: Snapshot) => ({ ...s, [fixture.id]: undefined, 'fixture state': undefined });
  expect(rest(after), message).toEqual(rest(before));
  type Noted = { timeline: unknown[]; notesDropped?: unknown };
  const [was, now] = [before, after].map((s) => JSON.parse(s['fixture state'] ?? '{}') as Noted);
  const untimed = (s: Noted | undefined) => ({ ...s, timeline: undefined, notesDropped: undefined });
  expect(untimed(now), message).toEqual(untimed(was));
  const old = new Set(was?.timeline.map((t) => JSON.stringify(t)));
  const added = (now?.timeline ?? []).filter((t) => !old.has(JSON.stringify(t))) as { event: string }[];
  expect(
    added.filter((t) => !t.event.endsWith('-notes-dropped')).map((t) => t.event),
    message,
  ).toEqual(added.length > 0 ? ['decision-refused'] : []);
}

/** Sends one request and holds the answer and what it left to every rule above. */
async function probe(op: Operation, r: FuzzRequest): Promise<void> {
  const touchesFixture = r.path.includes(encodeURIComponent(fixture.id));
  const before = touchesFixture || !current ? await snapshot(touchesFixture) : current;
  const base = op.operationId.startsWith('codec') ? codecApi.url : api.server.url;
  const answer = await send(base, r);
  checkAnswer(r, answer);
  checkPrototypes(r);
  await checkHealth(r);
  const refused = answer.status >= 400 && answer.status < 500;
  if (refused || r.method === 'GET') {
    const after = await snapshot(touchesFixture);
    const what = refused ? 'a refused request' : 'a read';
    const message = `${what} changed a workflow: ${fc.stringify(r)}\n→ ${answer.text.slice(0, 300)}`;
    if (refused && touchesFixture && auditedRefusal(op, answer)) expectOnlyAudited(before, after, message);
    else expect(after, message).toEqual(before);
    current = touchesFixture ? undefined : after;
    return;
  }
  // Accepted: what it started may go on for a moment; the next request is compared with where it ends.
  await settled();
  current = undefined;
  if ((await describeOf(fixture.id)).includes('RUNNING')) return;
  fixture = await openFixture();
}

// ---------------------------------------------------------------------------------------------------

/** An open incident that waits for people and nothing else (no runbook, no rule, no timer). */
async function openIncident(service: string): Promise<{ id: string; fingerprint: string }> {
  const body = alertPayload({
    alertname: 'FuzzFixture',
    labels: { service, severity: 'warning' },
    summary: 'the incident the fuzzer aims at',
    startsAt: new Date().toISOString(),
  });
  const [first] = body.alerts;
  if (!first) throw new Error('no alert');
  // Two alerts, so a listing of one a page gives a cursor.
  body.alerts.push({
    ...first,
    labels: { ...first.labels, instance: 'b' },
    fingerprint: `${first.fingerprint}-b`,
  });
  const r = await api.call('POST', '/api/v1/alertmanager', { token: TOKENS.alice, body });
  expect(r.status, r.text).toBe(202);
  const id = await incidentIdOf(r);
  accounted.add(id);
  await api.waitFor(id, (s) => s.alerts.length === 2 && s.stage === 'recommend');
  return { id, fingerprint: first.fingerprint };
}

async function openFixture(): Promise<{ id: string; fingerprint: string }> {
  fixture = await openIncident(fixtureService);
  await settled();
  return fixture;
}

beforeAll(async () => {
  api = await startApiHarness({
    taskQueue: TASK_QUEUE,
    runbooks: {},
    env: { STEADFAST_ONCALL_FILE: join(import.meta.dirname, '..', '..', 'oncall', 'oncall.example.yaml') },
  });
  client = api.client;
  const settings = loadSettings({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    STEADFAST_TOKENS_FILE: api.settings.auth.tokensFile ?? '',
    STEADFAST_API_PORT: '0',
    STEADFAST_CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  });
  // The codec's own API: its Temporal client stays plain, so the worker reads what it starts.
  codecApi = await listen(await testApp(settings, { client }), '127.0.0.1', 0);
  const encoded = await fetch(`${codecApi.url}/api/v1/codec/encode`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.viewer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ payloads: [plainPayload] }),
  });
  [sealed] = ((await encoded.json()) as { payloads: unknown[] }).payloads;
  for (const id of watched().slice(1)) accounted.add(id);
  fixture = await openFixture();
  const page = await api.call('GET', `/api/v1/alerts?service=${fixtureService}&limit=1`, {
    token: TOKENS.viewer,
  });
  cursor = String(page.json['nextCursor']);
});

afterAll(async () => {
  await codecApi?.close();
  await api?.stop();
});

describe('defects the fuzzer found', () => {
  const rule = (name: string) => ({
    name,
    condition: `service == "never-${run}"`,
    escalation: { delay: 60, channels: ['log'] },
  });
  const ruleNames = async () =>
    (
      (await api.call('GET', '/api/v1/rules', { token: TOKENS.viewer })).json['rules'] as { name: string }[]
    ).map((r) => r.name);
  const rawDelete = (name: string, rest: string) =>
    Buffer.from(
      `DELETE /api/v1/rules/${encodeURIComponent(name)} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Authorization: Bearer ${TOKENS.alice}\r\n${rest}`,
    );

  it('when a rule no one wrote is deleted, then the answer is 404 and no rules workflow starts', async () => {
    const id = rulesWorkflowId(TASK_QUEUE);
    expect(await workflowExists(client, id)).toBe(false);
    const r = await api.call('DELETE', '/api/v1/rules/none', { token: TOKENS.alice });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ error: 'RuleNotFound', message: 'no rule is named "none"' });
    expect(await workflowExists(client, id)).toBe(false);
  });

  it("when bytes that are not HTTP follow a whole delete, then the client gets the delete's own answer, not a 400", async () => {
    expect(
      (await api.call('POST', '/api/v1/rules', { token: TOKENS.alice, body: rule('Trailed') })).status,
    ).toBe(201);
    const { text } = await sendRaw(api.server.port, rawDelete('Trailed', '\r\nGARBAGE\r\n\r\n'));
    const answers = rawAnswers(text);
    expect(answers.map((a) => a.status)).toEqual([200]);
    expect(JSON.parse(answers[0]?.body ?? '')).toEqual({ deleted: 'Trailed' });
    expect(await ruleNames()).not.toContain('Trailed');
  });

  it("when a delete's body never arrives whole (a chunk that is not one), then it is refused and the rule stays", async () => {
    expect(
      (await api.call('POST', '/api/v1/rules', { token: TOKENS.alice, body: rule('Kept') })).status,
    ).toBe(201);
    const { text } = await sendRaw(
      api.server.port,
      rawDelete('Kept', 'Transfer-Encoding: chunked\r\n\r\nzz\r\n'),
    );
    expect(rawAnswers(text).map((a) => [a.status, JSON.parse(a.body) as unknown])).toEqual([
      [
        400,
        {
          error: 'BadRequest',
          message: 'the request is not valid HTTP/1.1 (Invalid character in chunk size)',
        },
      ],
    ]);
    // The refused delete would have acted in the background had it not waited for its body.
    await new Promise((r) => setTimeout(r, 500));
    expect(await ruleNames()).toContain('Kept');
  });

  it.each([
    ['/api/v1/alerts?since=0000-01-01T00:00:00%2B23:59', 'alert filter'],
    ['/api/v1/alerts/fp?since=9999-12-31T23:59:59-23:59', 'alert filter'],
  ])(
    'when since is an RFC 3339 time outside the years 0000 to 9999 in UTC (%s), then 400, not 500',
    async (path) => {
      const r = await api.call('GET', path, { token: TOKENS.viewer });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({
        error: 'InvalidInput',
        details: [{ path: 'since', message: 'a time from the year 0000 to 9999 in UTC' }],
      });
    },
  );
});

describe('every operation of the OpenAPI document, abused', () => {
  it('has a valid request to start from for every parameter and body', () => {
    for (const op of operations) {
      for (const p of op.parameters) {
        if (p.in === 'path') expect(PATH_PARAMS[p.name], `${op.operationId} {${p.name}}`).toBeDefined();
        else expect(QUERIES[op.operationId]?.()[p.name], `${op.operationId} ?${p.name}`).toBeDefined();
      }
      if (op.body) {
        const seed = op.body.contentType === 'application/json' ? BODIES : TEXT_BODIES;
        expect(seed[op.operationId], `${op.operationId} body`).toBeDefined();
      }
    }
  });

  it.each(operations.map((op) => [`${op.method} ${op.template}`, op] as const))(
    '%s: a documented answer, a JSON 4xx that changed nothing, or a documented 503',
    async (_, op) => {
      await fc.assert(
        fc.asyncProperty(requestArb(op), (r) => probe(op, r)),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      for (const r of edgeRequests(op)) await probe(op, r);
    },
  );
});

/** Label names Prometheus allows that name Object's own members, or are all underscores, or as long as allowed. */
const oddLabelName = fc.oneof(
  fc.constantFrom('_', '__', '__name__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'),
  fc.constantFrom('__defineGetter__', 'isPrototypeOf', `l${'x'.repeat(127)}`),
  fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/),
);
/** Text within every limit of a label value (1 KiB of UTF-8, its JSON within the label set's). */
const labelValue = hostileText.filter((t) => Buffer.byteLength(t) <= 200 && t.length <= 200);
const oddUrl = fc.constantFrom(
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'http://127.0.0.1:9/graph?g0.expr=up%7Bjob%3D%22%3Cscript%3E%22%7D',
  'not a url',
  `http://127.0.0.1:9/${'x'.repeat(8000)}`,
);

interface HostileAlert {
  path: '/api/v1/alertmanager' | '/api/v1/alerts';
  body: unknown;
  /** What the incident must hold. */
  labels: Record<string, string>;
  annotations: string[];
  fingerprint: string;
  startsAt: string;
  generatorURL: string;
}

let hostileSeq = 0;
const hostileAlert: fc.Arbitrary<HostileAlert> = fc
  .record({
    generic: fc.boolean(),
    names: fc.uniqueArray(oddLabelName, { maxLength: 8 }),
    values: fc.array(labelValue, { minLength: 8, maxLength: 8 }),
    wide: fc.boolean(),
    ownService: fc.option(
      labelValue.filter((v) => v.length > 0),
      { freq: 4 },
    ),
    annotations: fc.dictionary(
      hostileText.filter((k) => k !== '__proto__' && Buffer.byteLength(k) <= 256 && k.length > 0),
      fc.oneof(hostileText, oddUrl),
      { maxKeys: 4 },
    ),
    text: labelValue.filter((t) => t.length > 0),
    fingerprint: hostileText.map((t) => t.slice(0, 40)),
    startsAt: fc.constantFrom('now', ...BOUNDARY.time.filter((t) => /^\d{4}-\d\d-\d\dT/.test(t))),
    generatorURL: oddUrl,
  })
  .map((g): HostileAlert => {
    const service = g.ownService ?? `fuzz-hostile-${run}`;
    const labels: Record<string, string> = { alertname: 'FuzzHostile', service };
    // Assigned as own keys: `labels.constructor ??= …` would find Object's and set nothing.
    g.names.forEach((name, i) => {
      if (!Object.hasOwn(labels, name))
        Object.defineProperty(labels, name, { value: g.values[i] ?? '', enumerable: true, writable: true });
    });
    // Sixty-four labels, the most an alert may carry.
    if (g.wide) for (let i = Object.keys(labels).length; i < 64; i++) labels[`w${i}`] = 'v'.repeat(200);
    const fingerprint = `fp-${run}-${hostileSeq++}-${g.fingerprint}`;
    const startsAt = g.startsAt === 'now' ? new Date().toISOString() : g.startsAt;
    if (g.generic) {
      // A generic alert names its service and severity in fields, its fingerprint in dedupKey; a URL
      // that is not one is refused there (and kept by the Alertmanager webhook).
      const generatorURL = g.generatorURL === 'not a url' ? 'javascript:alert(1)' : g.generatorURL;
      const rest = Object.fromEntries(Object.entries(labels).filter(([k]) => k !== 'service'));
      const description = g.annotations[Object.keys(g.annotations)[0] ?? ''] ?? g.text;
      const body = {
        title: g.text,
        description,
        severity: 'warning',
        service,
        labels: rest,
        startsAt,
        dedupKey: fingerprint,
        generatorURL,
      };
      return {
        path: '/api/v1/alerts',
        body,
        labels: { ...rest, alertname: 'FuzzHostile', service, severity: 'warning' },
        // An empty description is none.
        annotations: description ? ['description', 'summary'] : ['summary'],
        fingerprint,
        startsAt,
        generatorURL,
      };
    }
    const body = webhookBody({ groupLabels: { alertname: 'FuzzHostile', service } }, [
      { labels, annotations: g.annotations, startsAt, generatorURL: g.generatorURL, fingerprint },
    ]);
    return {
      path: '/api/v1/alertmanager',
      body,
      labels,
      annotations: Object.keys(g.annotations),
      fingerprint,
      startsAt,
      generatorURL: g.generatorURL,
    };
  });

type HeldAlert = {
  fingerprint: string;
  labels: unknown;
  annotations: Record<string, string>;
  generatorURL?: string;
  startsAt: string;
};

/** The alerts an incident holds with this fingerprint, once it holds one (the signal lands after the answer). */
async function held(id: string, fingerprint: string): Promise<HeldAlert[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const state = await client.workflow.getHandle(id).query(stateQuery);
    const found = (state.alerts as HeldAlert[]).filter((a) => a.fingerprint === fingerprint);
    if (found.length > 0 || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('hostile but valid alerts', () => {
  it('are each accepted and held once, labels as sent, however often and however concurrently sent', async () => {
    await fc.assert(
      fc.asyncProperty(hostileAlert, async (w) => {
        const r = new FuzzRequest(
          'POST',
          w.path,
          [
            ['content-type', 'application/json'],
            ['authorization', `Bearer ${TOKENS.alice}`],
            ['host', HOST],
          ],
          Buffer.from(JSON.stringify(w.body)),
          ['hostile alert'],
        );
        const first = await send(api.server.url, r);
        checkAnswer(r, first);
        expect(first.status, `${fc.stringify(r)}\n→ ${first.text.slice(0, 300)}`).toBe(202);
        const [incident] = (JSON.parse(first.text) as { incidents: { incidentId: string }[] }).incidents;
        const id = incident?.incidentId ?? '';
        const once = await held(id, w.fingerprint);
        expect(once, `held ${once.length} times: ${fc.stringify(r)}`).toHaveLength(1);
        expect(once[0]?.labels, fc.stringify(r)).toEqual(w.labels);
        expect(Object.keys(once[0]?.annotations ?? {}).sort(), fc.stringify(r)).toEqual(
          [...w.annotations].sort(),
        );
        expect(once[0]?.generatorURL, fc.stringify(r)).toBe(w.generatorURL);
        expect(once[0]?.startsAt, fc.stringify(r)).toBe(w.startsAt);
        // Sent again, twice at once, as a retrying sender might: the same alert, not a second one.
        const again = await Promise.all([send(api.server.url, r), send(api.server.url, r)]);
        expect(again.map((a) => a.status)).toEqual([202, 202]);
        await new Promise((done) => setTimeout(done, 300));
        expect(await held(id, w.fingerprint), `held twice: ${fc.stringify(r)}`).toHaveLength(1);
        checkPrototypes(r);
        await checkHealth(r);
      }),
      { seed: SEED, numRuns: Number(process.env['FUZZ_HOSTILE_RUNS'] ?? 8), endOnFailure: true },
    );
  });
});

describe('requests that are not HTTP as a client library writes it', () => {
  it('get a JSON 4xx, or their own answer when whole, change nothing, and leave the API answering', async () => {
    const targets = [
      { method: 'GET', path: '/api/v1/health' },
      { method: 'GET', path: `/api/v1/incidents/${fixture.id}` },
      { method: 'DELETE', path: '/api/v1/rules/none' },
      { method: 'POST', path: '/api/v1/alerts', body: JSON.stringify(BODIES['ingestAlerts']?.()) },
    ];
    await fc.assert(
      fc.asyncProperty(rawRequests(targets, TOKENS.alice), async (r) => {
        const before = await snapshot(false);
        const { text, closed } = await sendRaw(api.server.port, r.bytes);
        const shown = `${fc.stringify(r)}\n→ ${JSON.stringify(text.slice(0, 600))}`;
        expect(closed, `the connection stayed open: ${shown}`).toBe(true);
        const answers = rawAnswers(text);
        expect(answers.length, `no answer: ${shown}`).toBeGreaterThan(0);
        for (const a of answers) {
          expect(a.status < 500 || a.status === 503, `a ${a.status}: ${shown}`).toBe(true);
          if (a.status < 400) continue;
          expect(a.head.toLowerCase(), `not JSON: ${shown}`).toContain('content-type: application/json');
          expect(a.body, `no error body: ${shown}`).toMatch(/"error":"[^"]+","message":"[^"]+"/);
        }
        expect(await snapshot(false), `changed a workflow: ${shown}`).toEqual(before);
        checkPrototypes(r);
        await checkHealth(r);
      }),
      { seed: SEED, numRuns: Number(process.env['FUZZ_RAW_RUNS'] ?? 30), endOnFailure: true },
    );
  });
});

describe('decisions sent at once', () => {
  it('are each taken once: of five acknowledgements and five resolutions, one of each is accepted', async () => {
    // An incident of its own: the fuzzing may have acknowledged or resolved the fixture.
    const { id } = await openIncident(`fuzz-at-once-${run}`);
    const { openedAt } = await client.workflow.getHandle(id).query(stateQuery);
    const at = async (verb: string) => {
      const body = { reason: 'at once', opened: openedAt };
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          api.call('POST', `/api/v1/incidents/${id}/${verb}`, { token: TOKENS.alice, body }),
        ),
      );
      return answers.map((a) => a.status).sort();
    };
    expect(await at('acknowledge')).toEqual([200, 409, 409, 409, 409]);
    expect(await at('resolve')).toEqual([200, 409, 409, 409, 409]);
    const state = await client.workflow.getHandle(id).query(stateQuery);
    expect(state.approvals.filter((a) => a.decision === 'acknowledged' && a.actor === 'alice')).toHaveLength(
      1,
    );
    expect(state.timeline.filter((t) => t.event === 'resolved-by-human')).toHaveLength(1);
  });
});

describe('after the fuzzing', () => {
  it("left Object's, Array's and Function's prototypes as they were", () => {
    expect(prototypeKeys()).toEqual(baseline);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('started no workflow but those accepted requests named', async () => {
    await settled();
    // Visibility lags a start by a moment: read it until two reads agree.
    let ids: string[] = [];
    for (let last = '-'; JSON.stringify(ids) !== last; await new Promise((r) => setTimeout(r, 500))) {
      last = JSON.stringify(ids);
      ids = [];
      for await (const w of client.workflow.list({ query: `TaskQueue = '${TASK_QUEUE}'` }))
        ids.push(w.workflowId);
      ids.sort();
    }
    expect(ids.filter((id) => !accounted.has(id))).toEqual([]);
  });
});
