import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SearchAttributeType } from '@temporalio/common';
import { freeClusterPorts, startCluster } from '../../scripts/lib/cluster.mjs';
import { ensureTemporalCli } from '../../scripts/lib/temporal-cli.mjs';
import { startDevServer } from './dev-server.js';

/** The Temporal server a bench measures on, and what it is, for the report. */
export interface BenchTemporal {
  address: string;
  /** One line saying which server was measured. */
  label: string;
  stop: () => Promise<void>;
}

export type TemporalChoice =
  { kind: 'dev-server' } | { kind: 'cluster' } | { kind: 'external'; address: string };

/**
 * Starts the server a bench asked for: a dev server or a cluster of its own (stopped and removed by
 * stop()), or nothing for a server it is given. Search attributes are the worker's to register.
 */
export async function benchTemporal(
  choice: TemporalChoice,
  searchAttributes: { name: string; type: SearchAttributeType }[],
): Promise<BenchTemporal> {
  if (choice.kind === 'external') {
    return { address: choice.address, label: `Temporal at ${choice.address}`, stop: () => Promise.resolve() };
  }
  if (choice.kind === 'dev-server') {
    const server = await startDevServer({ cli: ensureTemporalCli(), searchAttributes });
    return { ...server, label: `Temporal dev server ${server.address} (SQLite in a temporary folder)` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-bench-cluster-'));
  const cluster = await startCluster({ dir, ...(await freeClusterPorts()) });
  return {
    address: cluster.address,
    label: `Temporal cluster ${cluster.address} (PostgreSQL; frontend, history, matching and worker processes; 4 history shards)`,
    stop: async () => {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The server a bench's `--temporal` and `--cluster` flags ask for (a dev server of its own without either). */
export function temporalChoice(address: string | undefined, cluster: boolean): TemporalChoice {
  if (address !== undefined && cluster) throw new Error('--temporal and --cluster exclude each other');
  if (cluster) return { kind: 'cluster' };
  if (address === undefined) return { kind: 'dev-server' };
  if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(address)) {
    throw new Error(`--temporal must be host:port, got ${JSON.stringify(address)}`);
  }
  return { kind: 'external', address };
}
