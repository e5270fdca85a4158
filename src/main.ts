/**
 * Runs the worker and the API in one process, sharing one metrics registry, until SIGINT or SIGTERM;
 * with STEADFAST_ROLE=api, the API alone (workers then run as worker.ts).
 * `npm start` runs this after it has a Temporal server; see scripts/start.mjs.
 */
import { loadSettings, SettingsError, type Settings } from './config/settings.js';
import { logCrashes } from './lib/crash-log.js';
import { createLogger, type Logger } from './lib/logger.js';
import { installTemporalLogging } from './lib/temporal-logger.js';
import { createMetrics, startApi, startWorker } from './system.js';
import { startTracing } from './telemetry/index.js';
import { giveUpStalledStop } from './temporal/worker.js';
import { messageOf } from './lib/message-of.js';

async function run(settings: Settings, logger: Logger): Promise<void> {
  installTemporalLogging(logger);
  // Before any client, worker or server is made: each takes its part of tracing when created.
  const tracing = await startTracing(settings.telemetry, 'steadfast', logger);
  try {
    const metrics = createMetrics();
    // The worker installs its own SIGINT/SIGTERM handlers and shuts down gracefully on them.
    const worker = settings.role === 'all' ? await startWorker(settings, logger, metrics) : undefined;
    if (worker) giveUpStalledStop(settings.workerDrainMs, logger);
    const api = await startApi(settings, logger, metrics);
    if (!worker) {
      // Nothing else would tell an operator why incidents opened here never move on.
      logger.info(
        { event: 'api.only', taskQueue: settings.temporal.taskQueue },
        `STEADFAST_ROLE=api: no worker in this process; incidents move on while workers (worker.ts) poll task queue ${settings.temporal.taskQueue}`,
      );
    }
    process.once('SIGINT', () => void api.stop());
    process.once('SIGTERM', () => void api.stop());
    await Promise.race([api.done, ...(worker ? [worker.done] : [])]);
    await api.stop();
    await worker?.stop();
  } finally {
    await tracing?.shutdown();
  }
  logger.info({ event: 'stopped' }, 'steadfast stopped');
}

let settings: Settings;
try {
  settings = loadSettings();
} catch (err) {
  if (!(err instanceof SettingsError)) throw err;
  createLogger().fatal({ event: 'config.invalid' }, err.message);
  process.exit(1);
}
const logger = createLogger(settings.logLevel, settings.logFormat);
logCrashes(logger);
// A failure to start, or of a running part (a worker that failed), ends the process with code 1.
await run(settings, logger).catch((err: unknown) => {
  logger.fatal({ event: 'steadfast.failed', err }, messageOf(err));
  process.exitCode = 1;
});
