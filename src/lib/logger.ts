import { pino, type DestinationStream, type Logger } from 'pino';
import { formatLogLine } from './log-format.js';

export type { Logger };

/** How log lines are written: JSON (one object a line, for machines) or text (for a person). */
export type LogFormat = 'json' | 'text';

/** JSON unless a person is watching: text only when stdout is a terminal. */
export function defaultLogFormat(stdout: { isTTY?: boolean } = process.stdout): LogFormat {
  return stdout.isTTY ? 'text' : 'json';
}

/** Writes each of pino's JSON lines to stdout as text (see log-format.ts). */
function textDestination(): DestinationStream {
  return {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) if (line) process.stdout.write(`${formatLogLine(line)}\n`);
    },
  };
}

/**
 * The one logger: one line per event that matters, with the event name in `event`; JSON by default,
 * text for a person (STEADFAST_LOG_FORMAT, or a terminal when it is unset).
 */
export function createLogger(level = 'info', format: LogFormat = defaultLogFormat()): Logger {
  const options = { level, base: { app: 'steadfast' }, timestamp: pino.stdTimeFunctions.isoTime };
  return format === 'text' ? pino(options, textDestination()) : pino(options);
}
