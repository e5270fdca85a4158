import type { EngineInspect, EngineStats } from './engine.js';

/** One container of the fleet, as GET /api/v1/fleet answers it; null is "unknown" (see `unknown`). */
export interface FleetRow {
  id: string;
  /** The engine's name, without its leading slash. */
  name: string;
  /** The service the container runs: its `service` label, else Compose's service name. */
  service?: string;
  /** The engine's state (`running`, `exited`, `restarting`, …), `unknown` when it gave none. */
  status: string;
  /** The health check's verdict (`healthy`, `unhealthy`, `starting`) when the container has one. */
  health?: string;
  /** CPU cores in use: 0.5 is half of one core. */
  cpuCores: number | null;
  /**
   * `recent`: between two samples (the engine's own pair, or this poll and the API's previous one);
   * `since-start`: the average since the container started (the first poll of a one-shot engine).
   */
  cpuBasis: 'recent' | 'since-start' | null;
  /** Memory in use without the page cache the kernel can drop, as `docker stats` counts it. */
  memoryBytes: number | null;
  memoryLimitBytes: number | null;
  /** memoryBytes / memoryLimitBytes, 0–1. */
  memoryShare: number | null;
  /** False when the container has no memory limit of its own: the limit is then the host's memory. */
  memoryLimited: boolean;
  restarts: number | null;
  /** Bytes received and sent on all the container's interfaces since it started. */
  netInBytes: number | null;
  netOutBytes: number | null;
  /** Remediation actions Steadfast ran on this container (see interventionsOn). */
  interventions: number;
  /** The fields that are null, and why, in one sentence. */
  unknown?: { fields: string[]; reason: string };
}

export type Measures = Pick<
  FleetRow,
  'cpuCores' | 'cpuBasis' | 'memoryBytes' | 'memoryLimitBytes' | 'memoryShare' | 'netInBytes' | 'netOutBytes'
>;

/** The measured fields: null in a row when the engine (or the metrics API) gave none. */
export const MEASURED = [
  'cpuCores',
  'memoryBytes',
  'memoryLimitBytes',
  'memoryShare',
  'netInBytes',
  'netOutBytes',
] as const satisfies (keyof Measures)[];

const NONE: Measures = {
  cpuCores: null,
  cpuBasis: null,
  memoryBytes: null,
  memoryLimitBytes: null,
  memoryShare: null,
  netInBytes: null,
  netOutBytes: null,
};

const time = (iso: string | undefined): number | undefined => {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  // The engine writes year 1 for "never" (podman's preread, an unstarted container's StartedAt).
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
};

/** A container's CPU time (ns) at an instant (ms), kept from one poll to the next. */
export interface CpuSample {
  usedNs: number;
  atMs: number;
}

/** The stats' CPU time and when it was read, to compare the next poll's with. */
export function cpuSampleOf(stats: EngineStats): CpuSample | undefined {
  const usedNs = stats.cpu_stats?.cpu_usage?.total_usage;
  const atMs = time(stats.read);
  return usedNs !== undefined && atMs !== undefined ? { usedNs, atMs } : undefined;
}

function cpu(
  stats: EngineStats,
  startedAt: string | undefined,
  previous: CpuSample | undefined,
): Pick<Measures, 'cpuCores' | 'cpuBasis'> {
  const now = stats.cpu_stats;
  const before = stats.precpu_stats;
  const used = now?.cpu_usage?.total_usage;
  if (used === undefined) return { cpuCores: null, cpuBasis: null };
  const system = (now?.system_cpu_usage ?? 0) - (before?.system_cpu_usage ?? 0);
  const usedBefore = before?.cpu_usage?.total_usage;
  if (before?.system_cpu_usage && usedBefore !== undefined && system > 0 && now?.online_cpus) {
    return { cpuCores: (Math.max(0, used - usedBefore) / system) * now.online_cpus, cpuBasis: 'recent' };
  }
  // One sample only (one-shot stats): the previous poll's sample gives a recent rate when there is one.
  const sample = cpuSampleOf(stats);
  const sameRun = previous !== undefined && previous.atMs >= (time(startedAt) ?? 0);
  if (sample && previous && sameRun && sample.atMs > previous.atMs && sample.usedNs >= previous.usedNs) {
    return {
      cpuCores: (sample.usedNs - previous.usedNs) / ((sample.atMs - previous.atMs) * 1e6),
      cpuBasis: 'recent',
    };
  }
  const read = time(stats.read);
  const started = time(startedAt);
  if (read === undefined || started === undefined || read <= started)
    return { cpuCores: null, cpuBasis: null };
  return { cpuCores: used / ((read - started) * 1e6), cpuBasis: 'since-start' };
}

function memory(stats: EngineStats): Pick<Measures, 'memoryBytes' | 'memoryLimitBytes' | 'memoryShare'> {
  const m = stats.memory_stats;
  const extra = m?.stats ?? {};
  const cache = extra['inactive_file'] ?? extra['total_inactive_file'] ?? extra['cache'] ?? 0;
  const bytes = m?.usage === undefined ? null : Math.max(0, m.usage - Math.max(0, cache));
  const limit = m?.limit ? m.limit : null;
  return {
    memoryBytes: bytes,
    memoryLimitBytes: limit,
    memoryShare: bytes !== null && limit !== null ? Math.min(1, bytes / limit) : null,
  };
}

function network(stats: EngineStats): Pick<Measures, 'netInBytes' | 'netOutBytes'> {
  const nics = Object.values(stats.networks ?? {});
  if (nics.length === 0) return { netInBytes: null, netOutBytes: null };
  const sum = (key: 'rx_bytes' | 'tx_bytes'): number | null =>
    nics.every((n) => n[key] !== undefined) ? nics.reduce((s, n) => s + (n[key] ?? 0), 0) : null;
  return { netInBytes: sum('rx_bytes'), netOutBytes: sum('tx_bytes') };
}

/**
 * What a stats document says about a container; a field it lacks is null. `previous` is the CPU sample
 * of an earlier poll of the same container (a restart resets the count: then it is not used).
 */
export function measuresOf(stats: EngineStats, startedAt?: string, previous?: CpuSample): Measures {
  return { ...cpu(stats, startedAt, previous), ...memory(stats), ...network(stats) };
}

/**
 * A container's row from its inspect and, when it runs, its stats (or why there are none: not
 * running, timed out, refused). Pure: the counts of interventions come from the caller.
 */
export function fleetRow(
  inspect: EngineInspect,
  stats: { measures: Measures } | { missing: string },
  interventions: number,
): FleetRow {
  const measures = 'measures' in stats ? stats.measures : NONE;
  const health = inspect.State?.Health?.Status;
  const labels = inspect.Config?.Labels ?? {};
  const service = (labels['service'] ?? labels['com.docker.compose.service'])?.slice(0, 253);
  const row: FleetRow = {
    id: inspect.Id,
    name: inspect.Name.replace(/^\//, ''),
    ...(service ? { service } : {}),
    status: inspect.State?.Status ?? 'unknown',
    ...(health ? { health } : {}),
    ...measures,
    memoryLimited: (inspect.HostConfig?.Memory ?? 0) > 0,
    restarts: inspect.RestartCount ?? null,
    interventions,
  };
  const fields: string[] = MEASURED.filter((f) => row[f] === null);
  if (row.restarts === null) fields.push('restarts');
  if (fields.length === 0) return row;
  const reason = 'missing' in stats ? stats.missing : "the engine's answer lacks them";
  return { ...row, unknown: { fields, reason } };
}
