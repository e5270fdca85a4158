import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { fillEach, fillValue, PlaceholderError, type ValueKind } from '../domain/placeholder.js';
import { headerValueSchema, isSecretRef, plainHeaderProblem } from '../secrets/reference.js';
import type { ActionStep, HttpMethod, ReplicaTarget } from './steps.js';

/**
 * Runbook steps as written in YAML: fields may hold `{{ labels.x }}` placeholders, and each field has
 * a kind its filled value must satisfy. `fillStep` turns one into the ActionStep that runs.
 */
const duration = z.string().refine((s) => parseDuration(s) !== undefined, {
  message: 'a duration such as 30s, 5m or 1h',
});
const BYTE_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  ki: 1024,
  m: 1e6,
  mi: 1024 ** 2,
  g: 1e9,
  gi: 1024 ** 3,
};
// YAML reads `memory: 1024` as a number; sizes are read as text either way.
const byteSize = z
  .union([z.number().int().nonnegative().transform(String), z.string()])
  .pipe(z.string().regex(/^\d+(\.\d+)?\s*(k|ki|m|mi|g|gi)?b?$/i, 'a size such as 256Mi, 1Gi or 512M'))
  .transform((s) => {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]*?)b?$/i.exec(s);
    return Math.round(Number(m?.[1]) * (BYTE_UNITS[(m?.[2] ?? '').toLowerCase()] ?? 1));
  });
const template = z.string().min(1).max(512);
const stopTimeout = duration.default('10s');
const replicas = z.union([
  z.number().int().min(0).max(9999),
  z
    .string()
    .regex(
      /^(?:[+-]\d{1,4}|\{\{\s*labels\.[a-zA-Z_][a-zA-Z0-9_]*\s*\}\})$/,
      'a count (3), a change (+1, -1) or a {{ labels.x }} placeholder',
    ),
]);
const replicaBounds = {
  replicas,
  min: z.number().int().min(0).max(9999).default(1),
  max: z.number().int().min(1).max(9999).default(10),
};
const boundsInOrder = (s: { min: number; max: number }): boolean => s.min <= s.max;
const boundsMessage = { message: 'min must not exceed max', path: ['min'] };
const cpuQuantity = z.string().regex(/^(?:\d+m|\d+(?:\.\d+)?)$/, 'a CPU quantity such as 500m or 2');
const memoryQuantity = z
  .string()
  .regex(/^\d+(?:\.\d+)?(?:Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'a memory quantity such as 256Mi or 1Gi');
const quantities = z
  .object({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() })
  .strict()
  .refine((q) => q.cpu !== undefined || q.memory !== undefined, { message: 'set cpu, memory or both' });
// Label keys are written by the runbook's author, never filled from alerts.
const dockerLabelKey = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.\-/]{0,127}$/, 'a Docker label key such as com.docker.compose.service');
const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name');
// A credential written as text would sit in every plan and history: such headers name a secret.
const headers = z
  .record(headerName, headerValueSchema)
  .superRefine((hs, ctx) => {
    for (const [name, value] of Object.entries(hs)) {
      const problem = isSecretRef(value) ? undefined : plainHeaderProblem(name, value);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
  })
  .default({});
const namespace = template.default('default');

export const stepSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('docker.restart'), container: template, stopTimeout }).strict(),
  z.object({ action: z.literal('docker.stop'), container: template, stopTimeout }).strict(),
  z.object({ action: z.literal('docker.start'), container: template }).strict(),
  z
    .object({
      action: z.literal('docker.update-resources'),
      container: template,
      memory: byteSize.optional(),
      cpus: z.number().positive().max(1024).optional(),
    })
    .strict()
    .refine((s) => s.memory !== undefined || s.cpus !== undefined, { message: 'set memory, cpus or both' }),
  z
    .object({
      action: z.literal('docker.scale'),
      service: template,
      label: dockerLabelKey.default('com.docker.compose.service'),
      ...replicaBounds,
    })
    .strict()
    .refine(boundsInOrder, boundsMessage),
  z
    .object({ action: z.literal('docker.network-disconnect'), container: template, network: template })
    .strict(),
  z.object({ action: z.literal('docker.network-connect'), container: template, network: template }).strict(),
  z
    .object({ action: z.literal('k8s.scale'), namespace, deployment: template, ...replicaBounds })
    .strict()
    .refine(boundsInOrder, boundsMessage),
  z.object({ action: z.literal('k8s.rollout-restart'), namespace, deployment: template }).strict(),
  z.object({ action: z.literal('k8s.rollback'), namespace, deployment: template }).strict(),
  z
    .object({
      action: z.literal('k8s.patch-resources'),
      namespace,
      deployment: template,
      container: template,
      requests: quantities.optional(),
      limits: quantities.optional(),
    })
    .strict()
    .refine((s) => s.requests !== undefined || s.limits !== undefined, {
      message: 'set requests, limits or both',
    }),
  z.object({ action: z.literal('k8s.cordon'), node: template }).strict(),
  z.object({ action: z.literal('k8s.uncordon'), node: template }).strict(),
  z
    .object({
      action: z.literal('http.call'),
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
      url: template,
      headers,
      body: z.string().max(65_536).optional(),
      expectStatus: z.array(z.number().int().min(100).max(599)).min(1).default([200, 201, 202, 204]),
      timeout: duration.default('30s'),
    })
    .strict(),
  z.object({ action: z.literal('wait'), duration }).strict(),
]);

export type RunbookStep = z.infer<typeof stepSchema>;

function fillReplicas(
  s: { replicas: number | string; min: number; max: number },
  labels: Record<string, string>,
  field: string,
): ReplicaTarget {
  const bounds = { min: s.min, max: s.max };
  if (typeof s.replicas === 'number') return { absolute: s.replicas, ...bounds };
  if (/^[+-]\d+$/.test(s.replicas)) return { delta: Number(s.replicas), ...bounds };
  return { absolute: Number(fillValue(s.replicas, labels, 'replicas', field)), ...bounds };
}

/** Fills a URL template: each label value is one URL segment, and the result must be an http(s) URL. */
function fillUrl(tpl: string, labels: Record<string, string>, field: string): string {
  const filled = fillEach(tpl, labels, 'url-segment', field);
  let url: URL;
  try {
    url = new URL(filled);
  } catch {
    throw new PlaceholderError(`${field}: ${JSON.stringify(filled.slice(0, 120))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PlaceholderError(`${field}: only http and https URLs are called, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new PlaceholderError(`${field}: credentials go in headers, not in the URL`);
  }
  return url.toString();
}

/** The ActionStep a runbook step becomes for one alert; throws PlaceholderError on any bad label. */
export function fillStep(step: RunbookStep, labels: Record<string, string>, field: string): ActionStep {
  const fill = (name: string, tpl: string, kind: ValueKind): string =>
    fillValue(tpl, labels, kind, `${field}.${name}`);
  const seconds = (d: string): number => Math.ceil((parseDuration(d) ?? 10_000) / 1000);
  switch (step.action) {
    case 'docker.restart':
    case 'docker.stop':
      return {
        action: step.action,
        container: fill('container', step.container, 'container'),
        stopTimeoutSeconds: seconds(step.stopTimeout),
      };
    case 'docker.start':
      return { action: step.action, container: fill('container', step.container, 'container') };
    case 'docker.update-resources':
      return {
        action: step.action,
        container: fill('container', step.container, 'container'),
        ...(step.memory !== undefined ? { memoryBytes: step.memory } : {}),
        ...(step.cpus !== undefined ? { nanoCpus: Math.round(step.cpus * 1e9) } : {}),
      };
    case 'docker.scale':
      return {
        action: step.action,
        label: step.label,
        service: fill('service', step.service, 'docker-label-value'),
        replicas: fillReplicas(step, labels, `${field}.replicas`),
      };
    case 'docker.network-disconnect':
    case 'docker.network-connect':
      return {
        action: step.action,
        container: fill('container', step.container, 'container'),
        network: fill('network', step.network, 'network'),
      };
    case 'k8s.scale':
      return {
        action: step.action,
        namespace: fill('namespace', step.namespace, 'k8s-namespace'),
        deployment: fill('deployment', step.deployment, 'k8s-name'),
        replicas: fillReplicas(step, labels, `${field}.replicas`),
      };
    case 'k8s.rollout-restart':
    case 'k8s.rollback':
      return {
        action: step.action,
        namespace: fill('namespace', step.namespace, 'k8s-namespace'),
        deployment: fill('deployment', step.deployment, 'k8s-name'),
      };
    case 'k8s.patch-resources':
      return {
        action: step.action,
        namespace: fill('namespace', step.namespace, 'k8s-namespace'),
        deployment: fill('deployment', step.deployment, 'k8s-name'),
        container: fill('container', step.container, 'k8s-container'),
        ...(step.requests ? { requests: step.requests } : {}),
        ...(step.limits ? { limits: step.limits } : {}),
      };
    case 'k8s.cordon':
    case 'k8s.uncordon':
      return { action: step.action, node: fill('node', step.node, 'k8s-name') };
    case 'http.call':
      return {
        action: step.action,
        method: step.method satisfies HttpMethod,
        url: fillUrl(step.url, labels, `${field}.url`),
        headers: step.headers,
        ...(step.body !== undefined ? { body: step.body } : {}),
        expectStatus: step.expectStatus,
        timeoutMs: parseDuration(step.timeout) ?? 30_000,
      };
    case 'wait':
      return { action: 'wait', ms: parseDuration(step.duration) ?? 0 };
  }
}
