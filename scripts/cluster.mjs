#!/usr/bin/env node
/**
 * `npm run cluster`: a real Temporal cluster on this machine, in the foreground until Ctrl-C: PostgreSQL
 * (data in data/cluster/) and the frontend, history, matching and worker services as separate processes.
 * Steadfast runs on it with `TEMPORAL_ADDRESS=127.0.0.1:7233 npm start`.
 */
import { join } from 'node:path';
import { ensureNodeModules } from './lib/install.mjs';
import { startCluster } from './lib/cluster.mjs';
import { dataDir, say } from './lib/paths.mjs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`Usage: npm run cluster

Runs a Temporal cluster on loopback until Ctrl-C: PostgreSQL for history and visibility
(data in data/cluster/), and the frontend, history, matching and worker services, 4 history shards.
  TEMPORAL_PORT           the frontend's port (7233); the other services use the next ports,
                          their membership ports 10 above
  STEADFAST_CLUSTER_PG_PORT  PostgreSQL's port (5433)
Then run Steadfast on it: TEMPORAL_ADDRESS=127.0.0.1:7233 npm start
`);
  process.exit(0);
}

ensureNodeModules();
const frontendPort = Number(process.env.TEMPORAL_PORT ?? 7233);
const pgPort = Number(process.env.STEADFAST_CLUSTER_PG_PORT ?? 5433);
const dir = join(dataDir, 'cluster');
say('starting PostgreSQL and the frontend, history, matching and worker services…');
const cluster = await startCluster({ dir, frontendPort, pgPort });
say(`Temporal cluster ready at ${cluster.address} (namespace ${cluster.namespace}); Ctrl-C stops it`);
say(`logs: ${join(dir, 'postgres.log')} and ${join(dir, 'server', '<service>.log')}`);
say(`run Steadfast on it: TEMPORAL_ADDRESS=${cluster.address} npm start`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  say('stopping the cluster…');
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// A service that dies takes the cluster down with it, loudly, rather than leaving half a cluster.
for (const [name, child] of Object.entries(cluster.children)) {
  void child.done.then((code) => {
    if (stopping) return;
    say(`${name} exited (${code}); stopping the cluster`);
    void stop().then(() => process.exit(1));
  });
}
