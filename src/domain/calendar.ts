import { z } from 'zod';
import { FileProblemsError, parseYamlFile, type FileProblem } from './yaml-file.js';
import type { BlockedPeriod, CalendarOutlook } from './outlook.js';
import { isTimeZone, offsetAt } from './zone.js';

/**
 * The change calendar (STEADFAST_CALENDAR_FILE): named recurring time intervals, written as
 * Alertmanager's `time_intervals` are (times, weekdays, days_of_month, months, years, location), and
 * change freezes, one-off (start and end) or recurring (during named intervals), each with a reason.
 * During a freeze no plan is approved automatically; a runbook may also be limited to the hours of a
 * named interval (its `hours:` field). Pure: parsing and evaluation, no file or clock of its own.
 */

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

type Range = [number, number];

/** `a` or `a:b`, each side read by `value`, the range checked by `check` (undefined: fine). */
function rangeList(
  what: string,
  value: (s: string) => number | undefined,
  check: (r: Range) => string | undefined = ([a, b]) =>
    a <= b ? undefined : `${what} range must not end before it starts`,
) {
  return z.array(
    z.union([z.string(), z.number()]).transform((raw, ctx): Range => {
      const text = String(raw).trim().toLowerCase();
      const [left = '', right = left, extra] = text.split(':');
      const a = value(left);
      const b = value(right);
      if (extra !== undefined || a === undefined || b === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${String(raw)}" is not a ${what} or range of them` });
        return z.NEVER;
      }
      const problem = check([a, b]);
      if (problem) ctx.addIssue({ code: 'custom', message: `"${String(raw)}": ${problem}` });
      return [a, b];
    }),
  );
}

const integer = (min: number, max: number) => (s: string) => {
  if (!/^-?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= min && n <= max ? n : undefined;
};
const named =
  (names: string[], offset: number, numeric?: (s: string) => number | undefined) => (s: string) => {
    const i = names.indexOf(s);
    return i >= 0 ? i + offset : numeric?.(s);
  };

const dayOfMonth = (s: string): number | undefined => {
  const n = integer(-31, 31)(s);
  return n === 0 ? undefined : n;
};
/** Counted from the same end, a range runs forwards; from the end to the start it never can. */
const dayRange = ([a, b]: Range): string | undefined =>
  (Math.sign(a) === Math.sign(b) && a > b) || (a < 0 && b > 0)
    ? 'a range of days must not end before it starts'
    : undefined;

/** Minutes since local midnight: `HH:MM`, 00:00 to 24:00. */
function clockMinutes(s: string): number | undefined {
  const m = /^(\d{2}):(\d{2})$/.exec(s);
  if (!m) return undefined;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return Number(m[2]) < 60 && minutes <= 24 * 60 ? minutes : undefined;
}

const clock = z
  .string()
  .refine((s) => clockMinutes(s) !== undefined, {
    message: 'a time of day such as 09:00 (00:00 to 24:00)',
    abort: true,
  })
  .transform((s) => clockMinutes(s) ?? 0);

/** An IANA time zone name that this Node knows; `Local` is refused: the answer must not depend on the host. */
const location = z.string().refine(isTimeZone, {
  message: 'an IANA time zone such as Europe/Berlin or UTC',
});

const timeIntervalSchema = z
  .object({
    times: z
      .array(
        z
          .object({ start_time: clock, end_time: clock })
          .strict()
          .refine((t) => t.start_time < t.end_time, { message: 'end_time must come after start_time' }),
      )
      .optional(),
    weekdays: rangeList('weekday', named(WEEKDAYS, 0)).optional(),
    days_of_month: rangeList(
      'day of the month (1 to 31, or -1 for the last)',
      dayOfMonth,
      dayRange,
    ).optional(),
    months: rangeList('month', named(MONTHS, 1, integer(1, 12))).optional(),
    years: rangeList('year', integer(1970, 9999)).optional(),
    location: location.default('UTC'),
  })
  .strict();

const nameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, dot, dash and underscore');
const instant = z.iso.datetime({
  offset: true,
  error: 'an RFC 3339 time with its offset, such as 2026-12-20T00:00:00+01:00',
});

const freezeSchema = z
  .object({
    name: nameSchema,
    reason: z.string().trim().min(1).max(500),
    start: instant.optional(),
    end: instant.optional(),
    /** Recurring: the freeze holds during these named time intervals. */
    time_intervals: z.array(nameSchema).min(1).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const oneOff = f.start !== undefined || f.end !== undefined;
    if (oneOff === (f.time_intervals !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a freeze has either start and end, or time_intervals' });
    } else if (oneOff && (f.start === undefined || f.end === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'a one-off freeze needs both start and end',
        path: [f.start ? 'end' : 'start'],
      });
    } else if (oneOff && Date.parse(f.end ?? '') <= Date.parse(f.start ?? '')) {
      ctx.addIssue({ code: 'custom', message: 'end must come after start', path: ['end'] });
    }
  });

export const calendarSchema = z
  .object({
    time_intervals: z
      .array(z.object({ name: nameSchema, time_intervals: z.array(timeIntervalSchema).min(1) }).strict())
      .default([]),
    freezes: z.array(freezeSchema).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.time_intervals.forEach((t, i) => {
      if (names.has(t.name))
        ctx.addIssue({
          code: 'custom',
          message: `time interval "${t.name}" is defined twice`,
          path: ['time_intervals', i, 'name'],
        });
      names.add(t.name);
    });
    c.freezes.forEach((f, i) =>
      (f.time_intervals ?? []).forEach((n, j) => {
        if (!names.has(n))
          ctx.addIssue({
            code: 'custom',
            message: `no time interval named "${n}" in time_intervals`,
            path: ['freezes', i, 'time_intervals', j],
          });
      }),
    );
  });

export type CalendarDefinition = z.infer<typeof calendarSchema>;
export type TimeInterval = CalendarDefinition['time_intervals'][number]['time_intervals'][number];

/** A calendar as loaded: where it came from, and its contents. */
export interface Calendar extends CalendarDefinition {
  file: string;
}

export type CalendarProblem = FileProblem;

export class CalendarError extends FileProblemsError {
  constructor(problems: CalendarProblem[]) {
    super(problems);
    this.name = 'CalendarError';
  }
}

/** Parses a calendar file; throws a CalendarError naming file, line and field for each problem. */
export function parseCalendar(file: string, text: string): Calendar {
  const data = parseYamlFile(file, text, calendarSchema, {
    fail: (problems) => new CalendarError(problems.sort((a, b) => a.line - b.line)),
    whole: '(calendar)',
    empty: {},
  });
  return { ...data, file };
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minute: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The zone's offset from UTC at `ms`, in minutes (rounded: some zones' offsets before 1972 had seconds). */
const offsetMinutes = (ms: number, zone: string): number => Math.round(offsetAt(ms, zone) / MINUTE);

// Offsets by zone and UTC hour: within an hour whose two ends agree, every minute has that offset (no
// zone changes its offset twice in an hour), so a scan asks ICU twice an hour instead of every minute.
const hourOffsets = new Map<string, number | null>();

function cachedOffset(ms: number, zone: string): number {
  const hour = Math.floor(ms / HOUR) * HOUR;
  const key = `${zone}@${hour}`;
  let offset = hourOffsets.get(key);
  if (offset === undefined) {
    const first = offsetMinutes(hour, zone);
    offset = first === offsetMinutes(hour + HOUR - MINUTE, zone) ? first : null;
    if (hourOffsets.size > 50_000) hourOffsets.clear();
    hourOffsets.set(key, offset);
  }
  return offset ?? offsetMinutes(ms, zone);
}

/** The wall-clock time at `ms` in `zone`, DST included. */
export function localTime(ms: number, zone: string): LocalTime {
  const wall = new Date(Math.floor(ms / MINUTE) * MINUTE + cachedOffset(ms, zone) * MINUTE);
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    weekday: wall.getUTCDay(),
    minute: wall.getUTCHours() * 60 + wall.getUTCMinutes(),
  };
}

const within = (ranges: Range[] | undefined, value: number): boolean =>
  ranges === undefined || ranges.some(([a, b]) => a <= value && value <= b);

/** Whether `ms` falls in the interval: every field it sets matches (as Alertmanager's time intervals). */
export function inTimeInterval(interval: TimeInterval, ms: number): boolean {
  const t = localTime(ms, interval.location);
  const daysInMonth = new Date(Date.UTC(t.year, t.month, 0)).getUTCDate();
  const day = (d: number): number => (d < 0 ? daysInMonth + d + 1 : d);
  const days = interval.days_of_month?.map(([a, b]): Range => [day(a), day(b)]);
  return (
    within(interval.years, t.year) &&
    within(interval.months, t.month) &&
    within(days, t.day) &&
    within(interval.weekdays, t.weekday) &&
    (interval.times === undefined ||
      interval.times.some((r) => r.start_time <= t.minute && t.minute < r.end_time))
  );
}

/** Whether `ms` falls in any of the named interval's parts; an unknown name is never in force. */
export function inNamedInterval(calendar: CalendarDefinition, name: string, ms: number): boolean {
  const intervals = calendar.time_intervals.find((t) => t.name === name)?.time_intervals ?? [];
  return intervals.some((i) => inTimeInterval(i, ms));
}

/** How far ahead an outlook looks: an approval that waits longer reads the calendar again. */
export const OUTLOOK_HORIZON_MS = 14 * 24 * 60 * MINUTE;

/**
 * The periods from `fromMs` to the horizon in which a plan is not approved automatically: the
 * calendar's freezes, and, for a runbook limited to `hours`, the time outside those hours. Recurring
 * intervals are evaluated minute by minute (every field of a time interval changes on a local minute,
 * and every zone's offset is a whole number of minutes), so DST shifts fall where the zone puts them.
 * Without a calendar, a runbook that names hours is blocked throughout: its limit cannot be checked.
 */
export function outlookOf(
  calendar: CalendarDefinition | undefined,
  options: { hours?: string },
  fromMs: number,
  horizonMs = OUTLOOK_HORIZON_MS,
): CalendarOutlook {
  const start = Math.floor(fromMs / MINUTE) * MINUTE;
  const end = start + horizonMs;
  const periods: BlockedPeriod[] = [];
  for (const f of calendar?.freezes ?? []) {
    const base = { kind: 'freeze' as const, name: f.name, reason: `change freeze "${f.name}": ${f.reason}` };
    if (f.start !== undefined && f.end !== undefined) {
      const from = Math.max(Date.parse(f.start), start);
      const until = Math.min(Date.parse(f.end), end);
      if (from < until) periods.push({ ...base, from: iso(from), until: iso(until) });
    } else {
      const names = f.time_intervals ?? [];
      periods.push(
        ...runs(start, end, (ms) =>
          names.some((n) => calendar !== undefined && inNamedInterval(calendar, n, ms)),
        ).map(([from, until]) => ({ ...base, from: iso(from), until: iso(until) })),
      );
    }
  }
  const hours = options.hours;
  if (hours !== undefined) {
    const defined = calendar?.time_intervals.some((t) => t.name === hours) ?? false;
    const reason = defined
      ? `the runbook acts automatically only during "${hours}"`
      : calendar
        ? `the runbook is limited to hours "${hours}", which the calendar does not define`
        : `the runbook is limited to hours "${hours}", and no calendar is configured (STEADFAST_CALENDAR_FILE)`;
    const outside = defined
      ? runs(start, end, (ms) => calendar !== undefined && !inNamedInterval(calendar, hours, ms))
      : [[start, end] as Range];
    periods.push(
      ...outside.map(([from, until]) => ({
        kind: 'hours' as const,
        name: hours,
        reason,
        from: iso(from),
        until: iso(until),
      })),
    );
  }
  periods.sort((a, b) => a.from.localeCompare(b.from));
  return { checkedAt: iso(fromMs), horizon: iso(end), periods };
}

/** The stretches of whole minutes in [start, end) where `holds` is true. */
function runs(start: number, end: number, holds: (ms: number) => boolean): Range[] {
  const out: Range[] = [];
  let open: number | undefined;
  for (let ms = start; ms < end; ms += MINUTE) {
    const h = holds(ms);
    if (h && open === undefined) open = ms;
    if (!h && open !== undefined) {
      out.push([open, ms]);
      open = undefined;
    }
  }
  if (open !== undefined) out.push([open, end]);
  return out;
}

const iso = (ms: number): string => new Date(ms).toISOString();
