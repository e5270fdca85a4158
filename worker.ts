/**
 * Runs the incident worker alone (scale out by starting more on the same task queue).
 * Usage: tsx worker.ts — configured by the environment; see README.md.
 */
import { loadSettings } from './src/config/settings.js';
import { createLogger } from './src/lib/logger.js';
import { installTemporalLogging } from './src/lib/temporal-logger.js';
import { createMetrics, startWorker } from './src/system.js';

const settings = loadSettings();
const logger = createLogger(settings.logLevel);
installTemporalLogging(logger);
const worker = await startWorker(settings, logger, createMetrics());
await worker.done;
