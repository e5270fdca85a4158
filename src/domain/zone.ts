/**
 * Wall-clock times in IANA time zones, from Node's ICU data: the conversions a rotation needs to hand over
 * at 09:00 local time on both sides of a DST change, and a calendar's time intervals to hold in their
 * `location`. Pure: no clock of its own.
 */

const MINUTE = 60_000;

/** A local date and time of day, without a zone; months from 1. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
}

/**
 * Formatters by zone name as given. A zone has many spellings (`europe/paris`, `EUROPE/PARIS`), and names
 * come from API queries and iCal feeds, so the cache is bounded: past it, it starts again. The IANA
 * database has about 600 names, so a process that sees only real ones never gets there.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATTERS = 1_000;

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  return format;
}

/** Whether this Node knows the zone; `Local` is refused, since the answer must not depend on the host. */
export function isTimeZone(zone: string): boolean {
  if (zone === 'Local' || zone.trim() === '') return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time at `ms` in `zone`. */
export function wallTimeAt(ms: number, zone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(ms)) parts[p.type] = Number(p.value);
  return {
    year: parts['year'] ?? 1970,
    month: parts['month'] ?? 1,
    day: parts['day'] ?? 1,
    hour: parts['hour'] ?? 0,
    minute: parts['minute'] ?? 0,
    second: parts['second'] ?? 0,
  };
}

/** The wall time read as if it were UTC: wall-clock arithmetic without any zone's jumps. */
export function wallMs(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second ?? 0);
}

/** The zone's offset from UTC at `ms`, in milliseconds. */
export function offsetAt(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallMs(wallTimeAt(whole, zone)) - whole;
}

/**
 * The instant a wall-clock time happens in `zone`. A time the zone skips (02:30 on the night clocks go
 * forward) happens as late as the jump pushes it (03:30); a time it passes twice (the night they go back)
 * is taken the first time, as most calendars do.
 */
export function instantOf(wall: WallTime, zone: string): number {
  const local = wallMs(wall);
  // The offsets a day either side cover every zone's changes; try the earlier reading first.
  const before = offsetAt(local - 36 * 60 * MINUTE, zone);
  const after = offsetAt(local + 36 * 60 * MINUTE, zone);
  const candidates = [local - Math.max(before, after), local - Math.min(before, after)];
  for (const ms of candidates) {
    if (offsetAt(ms, zone) === local - ms) return ms;
  }
  // In a gap: no reading matches, so the time is moved on by the jump (the offset before it applies).
  return local - before;
}
