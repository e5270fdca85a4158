/**
 * The demo's processes and containers without its Prometheus, Alertmanager and traffic: Steadfast as
 * `npm start` runs it (here with the test's Temporal, and its own podman service serving the Docker
 * API, as on a machine without Docker), then the demo's two services as containers on that engine. Run
 * by ctrl-c.test.ts, which sends SIGINT to this process's group as a terminal's Ctrl-C does.
 */
import Docker from 'dockerode';
import { ensureDemoImage } from '../../scripts/lib/demo-image.mjs';
import { dockerSocket, startDemoServices, startSteadfast, waitForFile } from '../../demo/services.js';
import { createShutdown } from '../../demo/shutdown.js';

const say = (message: string): void => void process.stdout.write(`[demo] ${message}\n`);
const shutdown = createShutdown({ say });
const env = process.env;
const dataDir = env['STEADFAST_DATA_DIR'] ?? '';
const prefix = env['DEMO_NAME_PREFIX'] ?? '';
const [checkout, payments] = (env['DEMO_PORTS'] ?? '').split(',').map(Number);

try {
  const steadfast = startSteadfast(shutdown, env, (code) => {
    say(`Steadfast exited (${code})`);
    void shutdown.stop(1);
  });
  say(`steadfast pid ${steadfast.pid}`);
  const socket = dockerSocket(env, dataDir);
  await waitForFile(socket, 60_000);
  const docker = new Docker({ socketPath: socket });
  await startDemoServices(
    shutdown,
    docker,
    await ensureDemoImage(),
    [
      { service: 'checkout', port: checkout ?? 0 },
      { service: 'payments', port: payments ?? 0 },
    ],
    { namePrefix: prefix, labels: { 'steadfast.test': env['DEMO_TEST_RUN'] ?? '' } },
  );
  say('ready');
  // Runs until a signal: the demo's loop would keep the process alive.
  setInterval(() => undefined, 1 << 30);
} catch (err) {
  say(err instanceof Error ? err.message : String(err));
  await shutdown.stop(1);
}
