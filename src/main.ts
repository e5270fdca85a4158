/**
 * Runs the worker and the API in one process, sharing one metrics registry, until SIGINT or SIGTERM.
 * `npm start` runs this after it has a Temporal server; see scripts/start.mjs.
 */
import { loadSettings, SettingsError } from './config/settings.js';
import { createLogger } from './lib/logger.js';
import { createMetrics, startApi, startWorker } from './system.js';

const logger = createLogger();
try {
  const settings = loadSettings();
  const metrics = createMetrics();
  // The worker installs its own SIGINT/SIGTERM handlers and shuts down gracefully on them.
  const worker = await startWorker(settings, logger, metrics);
  const api = await startApi(settings, logger, metrics);
  const stop = async (): Promise<void> => {
    await api.stop();
    await worker.stop();
  };
  process.once('SIGINT', () => void api.stop());
  process.once('SIGTERM', () => void api.stop());
  await Promise.race([worker.done, api.done]);
  await stop();
  logger.info({ event: 'stopped' }, 'steadfast stopped');
} catch (err) {
  if (err instanceof SettingsError) {
    logger.fatal({ event: 'config.invalid' }, err.message);
  } else {
    logger.fatal({ event: 'start.failed', err }, err instanceof Error ? err.message : String(err));
  }
  process.exitCode = 1;
}
