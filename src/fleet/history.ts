import type { FleetRow } from './row.js';

/** One poll's measures of one container, at `atMs`. */
export interface FleetSample {
  atMs: number;
  memoryShare: number | null;
  cpuCores: number | null;
}

/** Recent samples of each container, by ID, oldest first; what the risk forecast reads. */
export type FleetHistory = Map<string, FleetSample[]>;

/**
 * Adds one poll's rows to the history, keeping `capacity` samples a container. A container that is no
 * longer in the fleet is forgotten: its ID will not come back, and the map stays as small as the fleet.
 */
export function recordPoll(history: FleetHistory, rows: FleetRow[], atMs: number, capacity: number): void {
  const present = new Set(rows.map((r) => r.id));
  for (const id of [...history.keys()]) if (!present.has(id)) history.delete(id);
  for (const row of rows) {
    const samples = history.get(row.id) ?? [];
    samples.push({ atMs, memoryShare: row.memoryShare, cpuCores: row.cpuCores });
    if (samples.length > capacity) samples.splice(0, samples.length - capacity);
    history.set(row.id, samples);
  }
}
