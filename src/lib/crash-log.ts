import type { Logger } from './logger.js';

/**
 * Logs, as one line of the process's own log, the error that is about to end it: an exception nothing
 * caught, or a rejection nothing handled (Node turns those into exceptions). Node still ends the process
 * as it would without this (code 1, its stack on stderr): a part in an unknown state is not kept running,
 * and its supervisor restarts it. Only the line is added, so a log search finds why it stopped.
 */
export function logCrashes(logger: Logger): void {
  process.on('uncaughtExceptionMonitor', (err, origin) => {
    logger.fatal({ event: 'process.crashed', origin, err }, `the process ends: ${String(err)}`);
  });
}
