/**
 * The demo's body (see scripts/demo.mjs): runs npm start's Steadfast as a child, then the loop around it,
 * and prints each closed incident's breakdown from fault to verified fix.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { ensureDemoImage } from '../scripts/lib/demo-image.mjs';
import { breakdown, describeBreakdown } from '../src/domain/breakdown.js';
import type { IncidentState } from '../src/domain/incident.js';
import { startLoopDaemons, startTraffic, waitForHttp, type DemoTarget } from './loop.js';
import { dockerSocket, startDemoServices, startSteadfast, waitForFile } from './services.js';
import { createShutdown } from './shutdown.js';

const root = join(import.meta.dirname, '..');
const dataDir = process.env['STEADFAST_DATA_DIR'] ?? join(root, 'data');
const demoDir = join(dataDir, 'demo');
export const TARGETS_FILE = join(demoDir, 'targets.json');

const apiPort = Number(process.env['STEADFAST_API_PORT'] ?? 8080);
const prometheusPort = Number(process.env['DEMO_PROMETHEUS_PORT'] ?? 9090);
const alertmanagerPort = Number(process.env['DEMO_ALERTMANAGER_PORT'] ?? 9093);
const [checkoutPort, paymentsPort] = (process.env['DEMO_PORTS'] ?? '18081,18082').split(',').map(Number);

const say = (message: string): void => void process.stdout.write(`[demo] ${message}\n`);
const shutdown = createShutdown({ say });

function apiToken(): string {
  if (process.env['STEADFAST_API_TOKEN']) return process.env['STEADFAST_API_TOKEN'];
  const file = join(dataDir, 'api-token');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** Prints the breakdown of every incident that closes while the demo runs. */
function watchIncidents(token: string): () => void {
  const seen = new Set<string>();
  const api = `http://127.0.0.1:${apiPort}/api/v1`;
  const headers = { authorization: `Bearer ${token}` };
  const timer = setInterval(() => {
    void (async () => {
      const list = (await fetch(`${api}/incidents?status=closed&limit=50`, { headers }).then((r) =>
        r.json(),
      )) as {
        incidents?: { incidentId: string }[];
      };
      for (const { incidentId } of list.incidents ?? []) {
        if (seen.has(incidentId)) continue;
        seen.add(incidentId);
        const body = (await fetch(`${api}/incidents/${encodeURIComponent(incidentId)}`, { headers }).then(
          (r) => r.json(),
        )) as { incident?: IncidentState };
        const state = body.incident;
        if (!state) continue;
        const b = breakdown(state);
        say(
          [
            `incident ${incidentId} closed: ${state.outcome} (${state.title})`,
            ...describeBreakdown(state).map((l) => `    ${l}`),
            `    phases: ${Object.entries(b.phases)
              .map(([p, s]) => `${p} ${s.toFixed(3)}s`)
              .join(', ')}`,
            `    notification → first action, without the approval wait: ${b.notificationToActionSeconds?.toFixed(3) ?? '—'}s`,
          ].join('\n'),
        );
      }
    })().catch(() => undefined);
  }, 2000);
  return () => clearInterval(timer);
}

try {
  mkdirSync(demoDir, { recursive: true });
  const token = apiToken();
  say('starting Steadfast (npm start) with low-risk runbooks approved automatically');
  startSteadfast(
    shutdown,
    {
      ...process.env,
      STEADFAST_API_TOKEN: token,
      STEADFAST_API_PORT: String(apiPort),
      PROMETHEUS_URL: `http://127.0.0.1:${prometheusPort}`,
      // The incident's alerts are silenced in Alertmanager while their fix runs and is verified.
      STEADFAST_ALERTMANAGER_URL: `http://127.0.0.1:${alertmanagerPort}`,
      STEADFAST_AUTO_APPROVE_LOW_RISK: 'true',
      // The token's identity (admin) approves the medium-risk runbooks, which need a named approver.
      STEADFAST_APPROVERS: process.env['STEADFAST_APPROVERS'] ?? 'admin',
      // Alertmanager's group_wait gathers bursts already.
      STEADFAST_DEBOUNCE: '0s',
      // Prediction: the shipped watches forecast the services' memory and CPU (docs/operations.md).
      STEADFAST_WATCH_FILE: process.env['STEADFAST_WATCH_FILE'] ?? join(root, 'prometheus', 'watches.yml'),
      STEADFAST_WATCH_INTERVAL: process.env['STEADFAST_WATCH_INTERVAL'] ?? '15s',
    },
    (code) => {
      say(`Steadfast exited (${code}); stopping the demo`);
      void shutdown.stop(1);
    },
  );
  await waitForHttp(`http://127.0.0.1:${apiPort}/api/v1/health`, 600_000);

  const socket = dockerSocket(process.env, dataDir);
  await waitForFile(socket, 30_000);
  const docker = new Docker({ socketPath: socket });
  const image = await ensureDemoImage();
  const targets: DemoTarget[] = await startDemoServices(shutdown, docker, image, [
    { service: 'checkout', port: checkoutPort ?? 18081 },
    { service: 'payments', port: paymentsPort ?? 18082 },
  ]);
  writeFileSync(TARGETS_FILE, `${JSON.stringify(targets, null, 2)}\n`);
  shutdown.add(() => rmSync(TARGETS_FILE, { force: true }));

  // Alertmanager posts with the ingest-only token npm start made, never the operator's all-roles one.
  const alertmanagerToken = join(dataDir, 'alertmanager-token');
  await waitForFile(alertmanagerToken, 30_000);
  const daemons = await startLoopDaemons({
    targets,
    webhookUrl: `http://127.0.0.1:${apiPort}/api/v1/alertmanager`,
    token: readFileSync(alertmanagerToken, 'utf8').trim(),
    productPort: apiPort,
    prometheusPort,
    alertmanagerPort,
    workDir: join(demoDir, 'run'),
  });
  shutdown.add(() => daemons.close());
  shutdown.add(startTraffic(targets));
  shutdown.add(watchIncidents(token));

  say(
    [
      'the loop is running:',
      `  services      ${targets.map((t) => `${t.service} ${t.url} (container ${t.container})`).join(', ')}`,
      `  Prometheus    ${daemons.prometheus.url}   Alertmanager ${daemons.alertmanager.url}`,
      `  API token     in ${join(dataDir, 'api-token')} (unless STEADFAST_API_TOKEN named one)`,
      'break something in another terminal:',
      '  npm run chaos -- crash checkout     (restarted unattended: low risk)',
      '  npm run chaos -- leak payments      (approve: curl -X POST -H "Authorization: Bearer <token>" http://127.0.0.1:8080/api/v1/incidents/<id>/approve)',
      '  npm run chaos -- leak payments mbPerSecond=0.25   (slow: the watch opens a "predicted" incident minutes before the MemoryLeak alert, which then joins it)',
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
} catch (err) {
  say(err instanceof Error ? err.message : String(err));
  await shutdown.stop(1);
}
