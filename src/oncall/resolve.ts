import { icalShifts, type IcalSource } from './ical.js';
import type { Person, RotationDefinition } from './schema.js';
import { simpleShifts } from './simple.js';
import { timeline, type Segment, type Shift } from './timeline.js';

/** How far back the answer looks for when the current holder took over. */
export const LOOKBACK_MS = 35 * 24 * 3_600_000;
/** How far ahead it looks for the next holder: past the longest shift a simple rotation may have. */
export const HORIZON_MS = 400 * 24 * 3_600_000;

/** A rotation as loaded: its definition and, for one read from iCalendar, the parsed calendar. */
export interface LoadedRotation {
  definition: RotationDefinition;
  ical?: IcalSource;
}

/** The on-call file as loaded: people and rotations, calendars parsed. */
export interface Oncall {
  file: string;
  people: Person[];
  rotations: LoadedRotation[];
}

/** Who holds a rotation at an instant, and who takes over next. */
export interface RotationAnswer {
  rotation: string;
  timezone: string;
  /** Null when nobody is on call (before a simple rotation starts, or a gap in a calendar). */
  current: {
    person: Person;
    /** When this person took over; absent when that was longer ago than the lookback. */
    since?: number;
    /** When the next person takes over; absent when nobody does within the horizon. */
    until?: number;
    /** Set when an override puts this person on call: its reason, or an empty string. */
    override?: string;
  } | null;
  next: { person: Person; from: number } | null;
}

/** The rotation's shifts (without overrides) that overlap [from, until). */
function shiftsOf(rotation: LoadedRotation, from: number, until: number): Shift[] {
  const definition = rotation.definition;
  if ('members' in definition) return simpleShifts(definition, from, until);
  return rotation.ical ? icalShifts(rotation.ical, from, until) : [];
}

/** The holders of the rotation from `from` to `until`, overrides applied. */
export function rotationTimeline(rotation: LoadedRotation, from: number, until: number): Segment[] {
  const overrides = rotation.definition.overrides.map((o) => ({
    person: o.person,
    from: Date.parse(o.start),
    until: Date.parse(o.end),
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
  }));
  return timeline(shiftsOf(rotation, from, until), overrides, from, until);
}

/** The rotation named `name`, or undefined when the file does not define it. */
export function findRotation(oncall: Oncall, name: string): LoadedRotation | undefined {
  return oncall.rotations.find((r) => r.definition.name === name);
}

/** Who is on call in `rotation` at `at` (epoch ms), since when and until when, and who is next. */
export function whoIsOnCall(oncall: Oncall, rotation: LoadedRotation, at: number): RotationAnswer {
  const from = at - LOOKBACK_MS;
  const segments = rotationTimeline(rotation, from, at + HORIZON_MS);
  const person = (name: string | undefined): Person | undefined =>
    name === undefined ? undefined : oncall.people.find((p) => p.name.toLowerCase() === name.toLowerCase());
  const index = segments.findIndex((s) => s.from <= at && at < s.until);
  const now = segments[index];
  const holder = person(now?.person);
  let start = index;
  while (start > 0 && segments[start - 1]?.person === now?.person) start--;
  const later = segments.slice(index + 1);
  const change = later.find((s) => s.person !== now?.person);
  const next = later.find((s) => s.person !== undefined && s.person !== now?.person);
  const since = segments[start]?.from;
  const nextPerson = person(next?.person);
  return {
    rotation: rotation.definition.name,
    timezone: rotation.definition.timezone,
    current: holder
      ? {
          person: holder,
          ...(since !== undefined && since > from ? { since } : {}),
          ...(change ? { until: change.from } : {}),
          ...(now?.override !== undefined ? { override: now.override } : {}),
        }
      : null,
    next: next && nextPerson ? { person: nextPerson, from: next.from } : null,
  };
}
