import { readFileSync, statSync } from 'node:fs';
import { CalendarError, outlookOf, parseCalendar, type Calendar } from '../domain/calendar.js';
import { READ_AGAIN_MS, type CalendarOutlook } from '../domain/outlook.js';
import type { Logger } from '../lib/logger.js';
import { messageOf } from '../lib/message-of.js';

/** The change calendar (STEADFAST_CALENDAR_FILE); without it nothing is frozen. */
export interface CalendarConfig {
  file?: string;
  now?: () => number;
  /** How long an answer read from the file stays current while a plan waits (default 5 minutes). */
  readAgainMs?: number;
}

/** Reads and checks the calendar file; throws a CalendarError (file, line, field) when it is wrong. */
export function loadCalendar(file: string): Calendar {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = messageOf(err);
    throw new CalendarError([{ file, line: 1, field: '(file)', message: `cannot be read: ${why}` }]);
  }
  return parseCalendar(file, text);
}

/**
 * The calendar as the workflow learns it: an outlook of the blocked periods ahead, recorded in history.
 * The file is read again when it changes, so a freeze added while Steadfast runs counts at the next
 * check; a file that has become invalid is logged and the last valid calendar kept (it was checked at
 * start, and a typo must not lift a freeze).
 */
export function createCalendarActivities(config: CalendarConfig, logger: Logger) {
  const now = config.now ?? Date.now;
  const readAgainMs = config.readAgainMs ?? READ_AGAIN_MS;
  let loaded: { mtimeMs: number; calendar: Calendar } | undefined;

  function current(file: string): Calendar | undefined {
    try {
      const { mtimeMs } = statSync(file);
      if (loaded?.mtimeMs !== mtimeMs) loaded = { mtimeMs, calendar: loadCalendar(file) };
    } catch (err) {
      logger.error(
        { event: 'calendar.invalid', file, err: messageOf(err) },
        loaded ? 'the calendar file is invalid; keeping the last valid one' : 'the calendar file is invalid',
      );
      if (!loaded) throw err;
    }
    return loaded?.calendar;
  }

  return {
    /** The periods ahead in which nothing is approved automatically, for a runbook limited to `hours`. */
    checkCalendar(request: { hours?: string }): Promise<CalendarOutlook> {
      const calendar = config.file ? current(config.file) : undefined;
      const hours = request.hours !== undefined ? { hours: request.hours } : {};
      const at = now();
      const outlook = outlookOf(calendar, hours, at);
      // A file can gain a freeze while a plan waits, so the workflow reads it again this often; without a
      // file nothing can change before the horizon.
      const again = config.file ? Math.min(at + readAgainMs, Date.parse(outlook.horizon)) : undefined;
      const readAgainAt = again !== undefined ? new Date(again).toISOString() : outlook.horizon;
      return Promise.resolve({ ...outlook, readAgainAt });
    },
  };
}
