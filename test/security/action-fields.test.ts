/**
 * Every field of every runbook action that an alert's labels can fill, against the kind it must be.
 * Each row gives a value its kind forbids but a looser kind would let through: a field checked with
 * the wrong kind (a node name checked as a URL segment, say) lets that value reach Docker, Kubernetes
 * or an HTTP call, and its row fails.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ACTIONS, fillStep, stepSchema } from '../../src/actions/registry.js';
import type { ActionStep } from '../../src/actions/steps.js';
import { fillValue, PlaceholderError, type ValueKind } from '../../src/domain/placeholder.js';

/** The smallest valid step of each action, every field a literal. */
const BASE: Record<string, Record<string, unknown>> = {
  'docker.restart': { container: 'web' },
  'docker.stop': { container: 'web' },
  'docker.start': { container: 'web' },
  'docker.update-resources': { container: 'web', memory: '256Mi' },
  'docker.scale': { service: 'web', replicas: 2 },
  'docker.network-disconnect': { container: 'web', network: 'front' },
  'docker.network-connect': { container: 'web', network: 'front' },
  'k8s.scale': { deployment: 'web', replicas: 2 },
  'k8s.rollout-restart': { deployment: 'web' },
  'k8s.rollback': { deployment: 'web' },
  'k8s.patch-resources': { deployment: 'web', container: 'app', limits: { memory: '1Gi' } },
  'k8s.cordon': { node: 'node-1' },
  'k8s.uncordon': { node: 'node-1' },
  'http.call': { url: 'http://cache/flush' },
  wait: { duration: '1s' },
};

interface Row {
  action: string;
  field: string;
  kind: ValueKind;
  /** The field's template; `{{ labels.v }}` unless the field needs text around it (a URL). */
  template?: string;
  good: string;
  /** Values the field's kind refuses, each with a looser kind that would have accepted it. */
  bad: [string, ValueKind][];
}

const containerBad: [string, ValueKind][] = [
  ['web:1', 'url-segment'],
  ['web~1', 'url-segment'],
  ['web/1', 'promql-label-value'],
];
const dockerContainer = (action: string): Row => ({
  action,
  field: 'container',
  kind: 'container',
  good: 'Web_1.a-b',
  bad: containerBad,
});
const k8sNamespace = (action: string): Row => ({
  action,
  field: 'namespace',
  kind: 'k8s-namespace',
  good: 'shop-prod',
  bad: [
    ['shop.prod', 'k8s-name'],
    ['Shop', 'container'],
    ['shop_1', 'container'],
  ],
});
const k8sDeployment = (action: string): Row => ({
  action,
  field: 'deployment',
  kind: 'k8s-name',
  good: 'checkout.v2-a',
  bad: [
    ['Checkout', 'container'],
    ['check_out', 'container'],
    ['checkout:v2', 'url-segment'],
  ],
});
const k8sNode = (action: string): Row => ({
  action,
  field: 'node',
  kind: 'k8s-name',
  good: 'node-1.zone-a',
  bad: [
    ['Node-1', 'url-segment'],
    ['node_1', 'url-segment'],
    ['node:1', 'url-segment'],
    ['node~1', 'url-segment'],
  ],
});
const replicas = (action: string): Row => ({
  action,
  field: 'replicas',
  kind: 'replicas',
  good: '3',
  bad: [
    ['1.5', 'container'],
    ['0x10', 'container'],
    ['-1', 'url-segment'],
    ['10000', 'container'],
  ],
});

const ROWS: Row[] = [
  dockerContainer('docker.restart'),
  dockerContainer('docker.stop'),
  dockerContainer('docker.start'),
  dockerContainer('docker.update-resources'),
  dockerContainer('docker.network-disconnect'),
  dockerContainer('docker.network-connect'),
  ...['docker.network-disconnect', 'docker.network-connect'].map((action): Row => ({
    action,
    field: 'network',
    kind: 'network',
    good: 'front_end.1',
    bad: [
      ['front:end', 'url-segment'],
      ['front/end', 'promql-label-value'],
    ],
  })),
  {
    action: 'docker.scale',
    field: 'service',
    kind: 'docker-label-value',
    good: 'check_out.1',
    bad: [
      ['check:out', 'url-segment'],
      ['check/out', 'promql-label-value'],
    ],
  },
  replicas('docker.scale'),
  replicas('k8s.scale'),
  ...['k8s.scale', 'k8s.rollout-restart', 'k8s.rollback', 'k8s.patch-resources'].flatMap((a) => [
    k8sNamespace(a),
    k8sDeployment(a),
  ]),
  {
    action: 'k8s.patch-resources',
    field: 'container',
    kind: 'k8s-container',
    good: 'app-main',
    bad: [
      ['app.main', 'k8s-name'],
      ['App', 'container'],
    ],
  },
  k8sNode('k8s.cordon'),
  k8sNode('k8s.uncordon'),
  {
    action: 'http.call',
    field: 'url',
    kind: 'url-segment',
    template: 'http://cache/api/tenants/{{ labels.v }}/flush',
    good: 'Acme~1:x',
    bad: [
      ['..', 'promql-label-value'],
      ['.', 'promql-label-value'],
      ['acme/../admin', 'promql-label-value'],
    ],
  },
];

const stepWith = (row: Row) =>
  stepSchema.parse({
    action: row.action,
    ...BASE[row.action],
    [row.field]: row.template ?? '{{ labels.v }}',
  });

/** The filled field as the action will use it. */
function filledField(step: ActionStep, field: string): unknown {
  const value = (step as unknown as Record<string, unknown>)[field];
  if (field === 'replicas') return (value as { absolute?: number }).absolute;
  return value;
}

describe.each(ROWS.map((r) => [`${r.action} ${r.field}`, r] as const))('%s', (_name, row) => {
  it(`is filled as ${row.kind} from an ordinary label`, () => {
    const filled = fillStep(stepWith(row), { v: row.good }, 'steps.0');
    const expected = row.field === 'replicas' ? Number(row.good) : row.template ? undefined : row.good;
    if (expected !== undefined) expect(filledField(filled, row.field)).toBe(expected);
    else expect(String(filledField(filled, row.field))).toContain(`/${row.good}/`);
  });

  it.each(row.bad)(`refuses %j, which %s would accept`, (bad, looser) => {
    // The premise: a looser kind really would let this value through.
    expect(fillValue('{{ labels.v }}', { v: bad }, looser, 'premise')).toBe(bad);
    const fill = (): ActionStep => fillStep(stepWith(row), { v: bad }, 'steps.0');
    expect(fill).toThrow(PlaceholderError);
    expect(fill).toThrow(new RegExp(`^steps\\.0\\.${row.field}: `));
  });
});

describe('the table above', () => {
  /** Fields whose schema takes a `{{ labels.x }}` template: the ones an alert could reach. */
  const options = Object.values(ACTIONS).map((spec) => {
    if (!(spec.schema instanceof z.ZodObject)) throw new Error('every action schema is an object');
    return spec.schema;
  });
  const templated = options.flatMap((option) => {
    const shape = option.shape as Record<string, { safeParse: (v: unknown) => { success: boolean } }>;
    const action = String((option.shape.action as { value: unknown }).value);
    return Object.keys(shape)
      .filter((k) => k !== 'action' && shape[k]?.safeParse('{{ labels.v }}').success)
      .map((field) => `${action} ${field}`);
  });

  it('covers every templated field of every action, and the one that is never filled', () => {
    const covered = ROWS.map((r) => `${r.action} ${r.field}`);
    expect(templated.filter((f) => !covered.includes(f))).toEqual(['http.call body']);
    expect(covered.filter((f) => !templated.includes(f))).toEqual([]);
    expect(Object.keys(BASE).sort()).toEqual(
      options.map((o) => String((o.shape.action as { value: unknown }).value)).sort(),
    );
  });

  it('http.call body: an alert label never reaches it; its text is sent as the runbook wrote it', () => {
    const step = stepSchema.parse({ action: 'http.call', url: 'http://cache/flush', body: '{{ labels.v }}' });
    expect(fillStep(step, { v: 'injected' }, 'steps.0')).toMatchObject({ body: '{{ labels.v }}' });
  });
});

describe('http.call URLs: the template as a whole', () => {
  const fillUrl = (url: string, labels: Record<string, string> = { h: 'cache-1:9100' }) =>
    fillStep(stepSchema.parse({ action: 'http.call', url }), labels, 'steps.0');

  it.each([
    ['a user without a password', 'http://user@{{ labels.h }}/flush'],
    ['a password without a user', 'http://:secret@{{ labels.h }}/flush'],
    ['a user and a password', 'http://user:secret@{{ labels.h }}/flush'],
    ['a user in an https URL', 'https://user@{{ labels.h }}/flush'],
  ])('refuses credentials in the URL: %s', (_what, url) => {
    expect(() => fillUrl(url)).toThrow(PlaceholderError);
    expect(() => fillUrl(url)).toThrow('steps.0.url: credentials go in headers, not in the URL');
  });

  it.each([
    'file:///etc/{{ labels.h }}',
    'ftp://{{ labels.h }}/x',
    'gopher://{{ labels.h }}/x',
    'ws://{{ labels.h }}/x',
  ])('refuses a scheme other than http and https: %s', (url) => {
    expect(() => fillUrl(url, { h: 'passwd' })).toThrow(/only http and https URLs are called/);
  });

  it('accepts a plain http URL with a host:port label, unchanged by the URL parser', () => {
    expect(fillUrl('http://{{ labels.h }}/maintenance/flush')).toMatchObject({
      url: 'http://cache-1:9100/maintenance/flush',
    });
  });
});
