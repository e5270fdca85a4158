import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from './logger.js';

const LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

// webpack's stats, which the SDK's bundler logs whole at INFO when it bundles the workflows: each
// module it read, its size, and "webpack 5.x compiled successfully".
const BUNDLE_REPORT = /^webpack \d[\d.]* compiled|^asset workflow-bundle-/m;

/**
 * The level a Temporal SDK line is written at: as the SDK says, except the bundler's build report,
 * which is for debugging webpack (its one-line "Workflow bundle created" stays at INFO). A report with
 * errors comes at ERROR and stays there.
 */
export function temporalLevel(level: LogLevel, message: string): LogLevel {
  return level === 'INFO' && BUNDLE_REPORT.test(message) ? 'DEBUG' : level;
}

/**
 * The SDK hands its failures over as `error`, an Error, which JSON writes as `{}`: the message and stack
 * of a failed workflow activation were lost. Our logger serializes errors given as `err`.
 */
function withErr(meta: LogMetadata | undefined): LogMetadata | undefined {
  if (!meta || !(meta['error'] instanceof Error)) return meta;
  const { error, ...rest } = meta;
  return { ...rest, err: error };
}

/** The Temporal SDK's logger interface over our logger, so its lines are written like ours. */
export function temporalLogger(logger: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    logger[LEVEL[temporalLevel(level, message)]]({ event: 'temporal', ...withErr(meta) }, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

/** Installs the logger in Temporal's runtime; must run before the first worker or native connection. */
export function installTemporalLogging(logger: Logger): void {
  Runtime.install({ logger: temporalLogger(logger.child({ component: 'temporal' })) });
}
