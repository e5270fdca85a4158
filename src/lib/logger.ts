import { pino, type Logger } from 'pino';

export type { Logger };

/** The one logger: one JSON line per event that matters, with the event name in `event`. */
export function createLogger(level = 'info'): Logger {
  return pino({ level, base: { app: 'steadfast' }, timestamp: pino.stdTimeFunctions.isoTime });
}
