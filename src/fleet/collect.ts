import type Docker from 'dockerode';
import { inspectSchema, statsSchema, type EngineInspect } from './engine.js';
import { interventionsOn, type InterventionCounts } from './interventions.js';
import { cpuSampleOf, fleetRow, measuresOf, type CpuSample, type FleetRow } from './row.js';
import { listOptions, type FleetSelector } from './selector.js';
import { messageOf } from '../lib/message-of.js';

/** The most containers one answer reads: each costs two engine calls. */
export const MAX_FLEET_CONTAINERS = 200;

export interface FleetReaderOptions {
  selector: FleetSelector;
  /** Default MAX_FLEET_CONTAINERS. */
  maxContainers?: number;
  /** Containers read at once (default 4): the engine serialises much of the work anyway. */
  concurrency?: number;
  /** Bound on each engine call, in ms (default 3000); a container that takes longer shows unknowns. */
  timeoutMs?: number;
}

export interface FleetAnswer {
  at: string;
  containers: FleetRow[];
  /** Containers the selector matched; more than `containers` holds when the cap cut the list. */
  matched: number;
  truncated: boolean;
}

/** The Docker engine could not be asked at all (socket missing, refused, listing timed out). */
export class EngineUnreachableError extends Error {
  override name = 'EngineUnreachableError';
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

const why = (err: unknown): string => messageOf(err).slice(0, 200);

/** What reading one container needs: the engine, the bound on each call, the counts, the CPU samples. */
interface ReadContext {
  docker: Docker;
  timeoutMs: number;
  counts: InterventionCounts;
  /** Each container's CPU sample from the previous poll. */
  previous: ReadonlyMap<string, CpuSample>;
  /** This poll's samples, for the next one. */
  seen: Map<string, CpuSample>;
}

/** A container's inspect, or what the list said of it (with why) when inspect fails or is malformed. */
async function inspectOf(
  entry: Docker.ContainerInfo,
  ctx: ReadContext,
): Promise<{ inspect: EngineInspect; missing?: string }> {
  const fallback: EngineInspect = {
    Id: entry.Id,
    Name: entry.Names[0] ?? entry.Id.slice(0, 12),
    State: { Status: entry.State },
    Config: { Labels: entry.Labels },
  };
  try {
    const raw: unknown = await ctx.docker
      .getContainer(entry.Id)
      .inspect({ abortSignal: AbortSignal.timeout(ctx.timeoutMs) });
    const parsed = inspectSchema.safeParse(raw);
    return parsed.success
      ? { inspect: parsed.data }
      : { inspect: fallback, missing: "the engine's inspect answer is malformed" };
  } catch (err) {
    return { inspect: fallback, missing: `inspect failed: ${why(err)}` };
  }
}

async function readContainer(entry: Docker.ContainerInfo, ctx: ReadContext): Promise<FleetRow> {
  const { inspect, missing } = await inspectOf(entry, ctx);
  const labels = inspect.Config?.Labels ?? {};
  const name = inspect.Name.replace(/^\//, '');
  const interventions = interventionsOn(ctx.counts, { id: inspect.Id, name, labels });
  if (missing) return fleetRow(inspect, { missing }, interventions);
  if (inspect.State?.Running === false || (inspect.State?.Status ?? 'running') !== 'running') {
    return fleetRow(inspect, { missing: 'the container is not running' }, interventions);
  }
  try {
    // one-shot: Docker would otherwise wait a second for a second sample; the previous poll is ours.
    const query = {
      stream: false as const,
      'one-shot': true,
      abortSignal: AbortSignal.timeout(ctx.timeoutMs),
    };
    const raw: unknown = await ctx.docker.getContainer(entry.Id).stats(query);
    const stats = statsSchema.safeParse(raw);
    if (!stats.success) return fleetRow(inspect, { missing: 'the engine answered no stats' }, interventions);
    const sample = cpuSampleOf(stats.data);
    if (sample) ctx.seen.set(inspect.Id, sample);
    const measures = measuresOf(stats.data, inspect.State?.StartedAt, ctx.previous.get(inspect.Id));
    return fleetRow(inspect, { measures }, interventions);
  } catch (err) {
    return fleetRow(inspect, { missing: `stats failed: ${why(err)}` }, interventions);
  }
}

/**
 * Reads the fleet from a Docker engine (or podman's Docker API): list, then inspect and one-shot stats
 * per container. Keeps each container's last CPU sample between calls, so that polls a few seconds
 * apart show recent CPU even on engines whose one-shot stats carry a single sample.
 */
export function createFleetReader(
  docker: Docker,
  options: FleetReaderOptions,
): (counts: InterventionCounts) => Promise<FleetAnswer> {
  const max = options.maxContainers ?? MAX_FLEET_CONTAINERS;
  const timeoutMs = options.timeoutMs ?? 3000;
  let previous = new Map<string, CpuSample>();
  return async (counts) => {
    let listed: Docker.ContainerInfo[];
    try {
      listed = await docker.listContainers({
        ...listOptions(options.selector),
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new EngineUnreachableError(`the Docker engine did not answer: ${why(err)}`);
    }
    const byName = [...listed].sort((a, b) => (a.Names[0] ?? a.Id).localeCompare(b.Names[0] ?? b.Id));
    const ctx: ReadContext = { docker, timeoutMs, counts, previous, seen: new Map() };
    const containers = await mapLimit(byName.slice(0, max), options.concurrency ?? 4, (e) =>
      readContainer(e, ctx),
    );
    previous = ctx.seen;
    return {
      at: new Date().toISOString(),
      containers,
      matched: listed.length,
      truncated: listed.length > max,
    };
  };
}
