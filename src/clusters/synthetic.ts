import { seededRandom } from '../lib/random.js';
import type { ClusterAlert, ClusterSubject } from './features.js';

/**
 * Seeded streams of incidents with known groups, for measuring clustering: each group is one problem
 * (a kind of fault on a service) that opened several incidents within minutes, with differing
 * alert names, paraphrased summaries, severities and volatile labels (instance, pod); noise
 * incidents are problems of their own at random times. Groups may share a service or a kind of fault
 * (at other times), which is what makes it hard.
 */

interface Family {
  kind: string;
  names: readonly string[];
  summaries: readonly string[];
}

const FAMILIES: readonly Family[] = [
  {
    kind: 'latency',
    names: ['HighLatency', 'LatencyP99High', 'SlowRequests'],
    summaries: [
      'p99 latency above 2s on {s}',
      '{s} responses are slow: p99 latency over threshold',
      'Request latency high for {s}',
      '{s} slow requests, latency exceeds the SLO',
    ],
  },
  {
    kind: 'errors',
    names: ['HighErrorRate', 'Http5xxRate', 'ErrorBudgetBurn'],
    summaries: [
      '{s} error rate above 5%',
      'Many 5xx errors returned by {s}',
      '{s} is burning its error budget: 5xx responses',
      'HTTP error ratio high on {s}',
    ],
  },
  {
    kind: 'memory',
    names: ['MemoryLeak', 'HighMemoryUsage', 'ContainerMemoryNearLimit'],
    summaries: [
      '{s} memory usage growing, possible leak',
      'Container memory of {s} near its limit',
      '{s} resident memory high and rising',
      'memory leak suspected in {s}',
    ],
  },
  {
    kind: 'crash',
    names: ['CrashLooping', 'PodRestarting', 'ContainerRestarts'],
    summaries: [
      '{s} container restarting repeatedly',
      '{s} is crash looping',
      'Frequent restarts of {s} pods',
      '{s} keeps crashing and restarting',
    ],
  },
  {
    kind: 'disk',
    names: ['DiskFull', 'DiskSpaceLow', 'VolumeAlmostFull'],
    summaries: [
      'disk space low on the {s} volume',
      '{s} volume almost full',
      'Free disk space below 10% for {s}',
      '{s} disk filling up',
    ],
  },
  {
    kind: 'queue',
    names: ['QueueBacklog', 'ConsumerLag', 'MessagesPiling'],
    summaries: [
      '{s} queue backlog growing',
      'Consumer lag high for {s}',
      'messages piling up in the {s} queue',
      '{s} consumers falling behind the queue',
    ],
  },
  {
    kind: 'db',
    names: ['DbConnectionsExhausted', 'DatabasePoolSaturated', 'TooManyConnections'],
    summaries: [
      '{s} database connection pool exhausted',
      'Too many database connections from {s}',
      '{s} db pool saturated, requests waiting for connections',
      'connection pool of {s} at its maximum',
    ],
  },
  {
    kind: 'cert',
    names: ['CertificateExpiring', 'TlsCertExpiry', 'CertExpiresSoon'],
    summaries: [
      'TLS certificate of {s} expires soon',
      '{s} certificate expiring within 7 days',
      'certificate for {s} about to expire',
      '{s} TLS cert expiry approaching',
    ],
  },
];

const SERVICES = [
  'checkout',
  'payments',
  'search',
  'catalog',
  'auth',
  'inventory',
  'shipping',
  'gateway',
  'notifications',
  'billing',
];
const NAMESPACES = ['shop', 'core', 'edge'];

export interface StreamOptions {
  seed: number;
  groups: number;
  /** Incidents per group: from 2 to this many. */
  maxGroupSize: number;
  noise: number;
  /** Span of the stream's group start times, ms. */
  spanMs: number;
  /** Spread of one group's incidents after its start, ms. */
  groupSpreadMs: number;
}

export const DEFAULT_STREAM: StreamOptions = {
  seed: 1,
  groups: 40,
  maxGroupSize: 6,
  noise: 30,
  spanMs: 24 * 3600_000,
  groupSpreadMs: 15 * 60_000,
};

export interface LabelledSubject extends ClusterSubject {
  /** The group it truly belongs to; a noise incident's own id. */
  truth: string;
}

/** A seeded stream: its incidents in order of opening, each with its true group. */
export function syntheticStream(options: StreamOptions = DEFAULT_STREAM): LabelledSubject[] {
  const rnd = seededRandom(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const t0 = Date.UTC(2026, 10, 30);
  const out: LabelledSubject[] = [];
  const problem = (truth: string, size: number, start: number, spread: number): void => {
    const family = pick(FAMILIES);
    const service = pick(SERVICES);
    const namespace = pick(NAMESPACES);
    for (let k = 0; k < size; k++) {
      const alerts = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () =>
        alertOf(family, service, namespace, pick, rnd),
      );
      out.push({
        incidentId: `inc-${out.length}`,
        title: alerts[0]?.annotations['summary'] ?? '',
        openedAt: new Date(start + rnd() * spread).toISOString(),
        alerts,
        truth,
      });
    }
  };
  for (let g = 0; g < options.groups; g++) {
    const size = 2 + Math.floor(rnd() * (options.maxGroupSize - 1));
    problem(`g${g}`, size, t0 + rnd() * options.spanMs, options.groupSpreadMs);
  }
  for (let i = 0; i < options.noise; i++) problem(`noise-${i}`, 1, t0 + rnd() * options.spanMs, 0);
  return out.sort((a, b) => Date.parse(a.openedAt) - Date.parse(b.openedAt));
}

function alertOf(
  family: Family,
  service: string,
  namespace: string,
  pick: <T>(xs: readonly T[]) => T,
  rnd: () => number,
): ClusterAlert {
  const hex = (): string =>
    Math.floor(rnd() * 0xffffff)
      .toString(16)
      .padStart(6, '0');
  const labels: Record<string, string> = {
    service,
    namespace,
    severity: pick(['warning', 'critical']),
    instance: `10.0.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}:8080`,
    pod: `${service}-${hex()}-${hex().slice(0, 5)}`,
  };
  if (rnd() < 0.5) labels['team'] = `team-${service}`;
  if (rnd() < 0.3) labels['cluster'] = pick(['eu-1', 'us-1']);
  const summary = pick(family.summaries).replaceAll('{s}', service);
  return {
    alertName: pick(family.names),
    labels,
    annotations: { summary, ...(rnd() < 0.5 ? { description: `${summary} (${family.kind})` } : {}) },
  };
}
