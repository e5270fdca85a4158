#!/usr/bin/env node
/**
 * `npm run demo`: installs what is missing, then runs the whole loop on this machine — Steadfast on its
 * embedded defaults, two demo services as real containers, Prometheus and Alertmanager with the shipped
 * rules on short timings, and steady traffic — until Ctrl-C. Inject faults with `npm run chaos`.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureDebianPackages, ensureNodeModules } from './lib/install.mjs';
import { root, say } from './lib/paths.mjs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`Usage: npm run demo

Starts Steadfast (as npm start does, with low-risk runbooks approved automatically), two demo services
(checkout and payments) as podman containers, Prometheus (127.0.0.1:9090), Alertmanager (127.0.0.1:9093)
and a traffic generator. Then, in another terminal:
  npm run chaos -- crash checkout        the service exits; the restart runbook runs unattended
  npm run chaos -- leak payments         memory grows; approve the restart in the API or Slack
  npm run chaos -- cpu|errors|latency <service>,  npm run chaos -- clear <service>
Each closed incident's time breakdown is printed here. Ctrl-C stops everything.
Ports: STEADFAST_API_PORT (8080), DEMO_PROMETHEUS_PORT (9090), DEMO_ALERTMANAGER_PORT (9093),
DEMO_PORTS (18081,18082).
`);
  process.exit(0);
}

ensureNodeModules();
ensureDebianPackages(['prometheus', 'prometheus-alertmanager', 'podman', 'runc']);
const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'demo', 'run.ts')], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => {
  if (code) say(`the demo exited with ${code}`);
  process.exit(code ?? 0);
});
