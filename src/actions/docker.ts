import { z } from 'zod';
import type { TargetIdentity } from '../domain/scope.js';
import {
  boundsInOrder,
  boundsMessage,
  describeReplicas,
  enc,
  json,
  replicaBounds,
  seconds,
  stopTimeout,
  template,
} from './fields.js';
import { defineAction } from './spec.js';
import type { DockerStep, StepOf } from './steps.js';

/** The Docker actions, on a Docker Engine API (Docker, or podman's compatible service). */

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
// Label keys are written by the runbook's author, never filled from alerts.
const dockerLabelKey = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.\-/]{0,127}$/, 'a Docker label key such as com.docker.compose.service');

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(2))}${units[unit]}`;
}

/** Resource limits as the timeline shows them; zero means no limit. */
export function describeLimits(memoryBytes: number, nanoCpus: number): string {
  return `memory ${memoryBytes ? formatBytes(memoryBytes) : 'unlimited'}, cpus ${nanoCpus ? nanoCpus / 1e9 : 'unlimited'}`;
}

/**
 * A container as people know it: a resolved step acts on the ID (its target and preview say so), but
 * reads by the name the engine gave.
 */
export function containerOf(step: { container: string; containerName?: string }): string {
  return step.containerName ?? step.container;
}

/** The label filters that find a Docker service's replicas: its service label and the scope's labels. */
export function serviceFilter(step: {
  label: string;
  service: string;
  selector?: Record<string, string>;
}): string[] {
  return [
    `${step.label}=${step.service}`,
    ...Object.entries(step.selector ?? {}).map(([key, value]) => `${key}=${value}`),
  ];
}

type OnContainer = Exclude<DockerStep, { action: 'docker.scale' }>;

const containerKey = (step: OnContainer): string => `docker/container/${step.container}`;
const inspectCall = (step: OnContainer): string => `GET /containers/${enc(step.container)}/json`;

/** Acts on the container's full ID from here on: a name or ID prefix could name another one later. */
function bindContainer<S extends OnContainer>(step: S, identity: TargetIdentity): S {
  if (identity.kind !== 'docker-container') return step;
  const bound = { ...step, container: identity.container.id, containerName: identity.container.name };
  // The network by the name the engine gave it (names are unique), not the ID prefix an alert may give.
  return 'network' in bound && identity.network ? { ...bound, network: identity.network.name } : bound;
}

/** What stop and restart share: a container and how long the engine waits before it kills. */
const stopping = <A extends 'docker.restart' | 'docker.stop'>(action: A) =>
  z.object({ action: z.literal(action), container: template, stopTimeout }).strict();

const restart = defineAction({
  schema: stopping('docker.restart'),
  fill: (s, f) => ({
    action: s.action,
    container: f.value('container', s.container, 'container'),
    stopTimeoutSeconds: seconds(s.stopTimeout),
  }),
  describe: (step) => `restart container ${containerOf(step)}`,
  preview: (step) => [
    inspectCall(step),
    `POST /containers/${enc(step.container)}/restart?t=${step.stopTimeoutSeconds}`,
  ],
  target: containerKey,
  bind: bindContainer,
  reversible: false,
});

const stop = defineAction({
  schema: stopping('docker.stop'),
  fill: (s, f) => ({
    action: s.action,
    container: f.value('container', s.container, 'container'),
    stopTimeoutSeconds: seconds(s.stopTimeout),
  }),
  describe: (step) => `stop container ${containerOf(step)}`,
  preview: (step) => [
    inspectCall(step),
    `POST /containers/${enc(step.container)}/stop?t=${step.stopTimeoutSeconds}`,
  ],
  target: containerKey,
  bind: bindContainer,
  reversible: true,
});

const start = defineAction({
  schema: z.object({ action: z.literal('docker.start'), container: template }).strict(),
  fill: (s, f) => ({ action: s.action, container: f.value('container', s.container, 'container') }),
  describe: (step) => `start container ${containerOf(step)}`,
  preview: (step) => [inspectCall(step), `POST /containers/${enc(step.container)}/start`],
  target: containerKey,
  bind: bindContainer,
  reversible: true,
});

const updateResources = defineAction({
  schema: z
    .object({
      action: z.literal('docker.update-resources'),
      container: template,
      memory: byteSize.optional(),
      cpus: z.number().positive().max(1024).optional(),
    })
    .strict()
    .refine((s) => s.memory !== undefined || s.cpus !== undefined, { message: 'set memory, cpus or both' }),
  fill: (s, f) => ({
    action: s.action,
    container: f.value('container', s.container, 'container'),
    ...(s.memory !== undefined ? { memoryBytes: s.memory } : {}),
    ...(s.cpus !== undefined ? { nanoCpus: Math.round(s.cpus * 1e9) } : {}),
  }),
  describe(step) {
    const parts = [
      step.memoryBytes !== undefined ? `memory ${formatBytes(step.memoryBytes)}` : '',
      step.nanoCpus !== undefined ? `cpus ${step.nanoCpus / 1e9}` : '',
    ].filter(Boolean);
    return `set ${parts.join(', ')} on container ${containerOf(step)}`;
  },
  preview: (step) => [
    inspectCall(step),
    `POST /containers/${enc(step.container)}/update ${json({
      ...(step.memoryBytes !== undefined ? { Memory: step.memoryBytes } : {}),
      ...(step.nanoCpus !== undefined ? { NanoCpus: step.nanoCpus } : {}),
    })}`,
  ],
  target: containerKey,
  bind: bindContainer,
  reversible: true,
});

/**
 * Replicas of a service are the containers carrying `label=service` (Compose's own label by default)
 * and, once resolved, every label of the runbook's scope.
 */
const scale = defineAction({
  schema: z
    .object({
      action: z.literal('docker.scale'),
      service: template,
      label: dockerLabelKey.default('com.docker.compose.service'),
      ...replicaBounds,
    })
    .strict()
    .refine(boundsInOrder, boundsMessage),
  fill: (s, f) => ({
    action: s.action,
    label: s.label,
    service: f.value('service', s.service, 'docker-label-value'),
    replicas: f.replicas(s),
  }),
  describe: (step) => `scale service ${step.service} to ${describeReplicas(step.replicas)}`,
  preview: (step) => [
    `GET /containers/json?all=true&filters=${json({ label: serviceFilter(step) })}`,
    `for each replica to add: POST /containers/{stopped replica}/start, or POST /containers/create (a copy of the newest replica) then POST /containers/{new}/start`,
    `for each replica to remove: POST /containers/{newest replica}/stop?t=10`,
  ],
  target: (step) => `docker/service/${step.label}=${step.service}`,
  // Only containers that carry every label of the scope count as replicas, copies included.
  bind: (step, _identity, scope) => ({ ...step, selector: { ...scope.docker?.labels } }),
  reversible: true,
});

const network = <A extends 'docker.network-disconnect' | 'docker.network-connect'>(action: A) =>
  z.object({ action: z.literal(action), container: template, network: template }).strict();
const fillNetwork = <A extends 'docker.network-disconnect' | 'docker.network-connect'>(
  s: { action: A; container: string; network: string },
  f: Parameters<(typeof restart)['fill']>[1],
): StepOf<A> =>
  ({
    action: s.action,
    container: f.value('container', s.container, 'container'),
    network: f.value('network', s.network, 'network'),
  }) as StepOf<A>;

const networkDisconnect = defineAction({
  schema: network('docker.network-disconnect'),
  fill: fillNetwork,
  describe: (step) => `disconnect container ${containerOf(step)} from network ${step.network}`,
  preview: (step) => [
    inspectCall(step),
    `POST /networks/${enc(step.network)}/disconnect ${json({ Container: step.container })}`,
  ],
  target: containerKey,
  bind: bindContainer,
  reversible: true,
});

const networkConnect = defineAction({
  schema: network('docker.network-connect'),
  fill: fillNetwork,
  describe: (step) => `connect container ${containerOf(step)} to network ${step.network}`,
  preview: (step) => [
    inspectCall(step),
    `POST /networks/${enc(step.network)}/connect ${json({ Container: step.container })}`,
  ],
  target: containerKey,
  bind: bindContainer,
  reversible: true,
});

export const dockerActions = {
  'docker.restart': restart,
  'docker.stop': stop,
  'docker.start': start,
  'docker.update-resources': updateResources,
  'docker.scale': scale,
  'docker.network-disconnect': networkDisconnect,
  'docker.network-connect': networkConnect,
};
