import ICAL from 'ical.js';
import { OncallFileError, type Person } from './schema.js';
import type { Shift } from './timeline.js';
import { instantOf, isTimeZone } from '../domain/zone.js';
import { messageOf } from '../lib/message-of.js';

/**
 * A rotation read from an iCalendar file: each event is a stretch on call for the person it names.
 * Parsing and expansion (RRULE, RDATE, EXDATE, moved occurrences) are ical.js's; this module says which
 * person an event names and turns its times into instants. Pure: it is given the file's text.
 */

/** The most occurrences one event is expanded to, so a minutely RRULE cannot hold a worker up. */
const MAX_OCCURRENCES = 50_000;

/** A parsed calendar, ready to answer for any window. */
export interface IcalSource {
  file: string;
  /** The events that start each series (or stand alone), with the person each occurrence names. */
  series: { event: ICAL.Event; personOf: (item: ICAL.Event) => string }[];
  /** The zone of floating times and of TZIDs the file does not define and this Node does not know. */
  timezone: string;
}

/** The line of each `BEGIN:VEVENT`, in file order (ical.js keeps that order). */
function eventLines(text: string): number[] {
  return text.split(/\r?\n/).flatMap((line, i) => (/^BEGIN:VEVENT\s*$/i.test(line) ? [i + 1] : []));
}

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

/**
 * The person an event names: an attendee whose address or CN is a person's e-mail or name, or else the
 * summary, which is the person's name, alone or after a label ("Primary on call: Alice").
 */
export function namedPerson(component: ICAL.Component, people: Person[]): Person | undefined {
  const byName = (name: string): Person | undefined =>
    people.find((p) => p.name.toLowerCase() === name.toLowerCase());
  for (const attendee of component.getAllProperties('attendee')) {
    const address = text(attendee.getFirstValue())
      .replace(/^mailto:/i, '')
      .toLowerCase();
    const found =
      people.find((p) => p.email !== undefined && p.email.toLowerCase() === address) ??
      byName(text(attendee.getParameter('cn')));
    if (found) return found;
  }
  const summary = text(component.getFirstPropertyValue('summary'));
  return byName(summary) ?? byName(summary.slice(summary.lastIndexOf(':') + 1).trim());
}

/**
 * Parses the calendar and checks that every event names a person; throws an OncallFileError with the
 * file and the line of each event that names nobody.
 */
export function parseIcal(file: string, content: string, people: Person[], timezone: string): IcalSource {
  let root: ICAL.Component;
  try {
    root = new ICAL.Component(ICAL.parse(content) as unknown[]);
  } catch (err) {
    const why = messageOf(err);
    throw new OncallFileError([{ file, line: 1, field: '(ical)', message: `not an iCalendar file: ${why}` }]);
  }
  if (root.name !== 'vcalendar') {
    throw new OncallFileError([{ file, line: 1, field: '(ical)', message: 'no VCALENDAR in the file' }]);
  }
  const lines = eventLines(content);
  const components = root.getAllSubcomponents('vevent');
  const persons = new Map<ICAL.Component, string>();
  const problems = components.flatMap((component, i) => {
    const person = namedPerson(component, people);
    if (person) {
      persons.set(component, person.name);
      return [];
    }
    const summary = text(component.getFirstPropertyValue('summary'));
    return [
      {
        file,
        line: lines[i] ?? 1,
        field: `VEVENT "${summary.slice(0, 80)}"`,
        message: 'names nobody in people: an ATTENDEE (e-mail or CN) or the SUMMARY must be a person',
      },
    ];
  });
  if (problems.length > 0) throw new OncallFileError(problems);
  const live = components.filter(
    (c) => text(c.getFirstPropertyValue('status')).toUpperCase() !== 'CANCELLED',
  );
  const masters = live.filter((c) => !c.hasProperty('recurrence-id'));
  const series = masters.map((master) => {
    const uid = text(master.getFirstPropertyValue('uid'));
    const exceptions = live.filter(
      (c) => c.hasProperty('recurrence-id') && uid !== '' && text(c.getFirstPropertyValue('uid')) === uid,
    );
    const event = new ICAL.Event(master, { exceptions });
    return { event, personOf: (item: ICAL.Event) => persons.get(item.component) ?? '' };
  });
  return { file, series, timezone };
}

interface Occurrence {
  item: ICAL.Event;
  startDate: ICAL.Time;
  endDate: ICAL.Time;
}

/** An occurrence's time as an instant: UTC, a zone the file defines, an IANA TZID, or floating. */
function instant(time: ICAL.Time, property: ICAL.Property | null, fallback: string): number {
  const zone = time.zone;
  if (zone && zone !== ICAL.Timezone.localTimezone) return time.toUnixTime() * 1000;
  const tzid = text(property?.getParameter('tzid'));
  const wall = {
    year: time.year,
    month: time.month,
    day: time.day,
    hour: time.isDate ? 0 : time.hour,
    minute: time.isDate ? 0 : time.minute,
    second: time.isDate ? 0 : time.second,
  };
  return instantOf(wall, tzid && isTimeZone(tzid) ? tzid : fallback);
}

/** One occurrence as a shift; an event with no end lasts its start day (a date) or nothing (a time). */
function shiftOf(source: IcalSource, item: ICAL.Event, start: ICAL.Time, end: ICAL.Time): Shift {
  const from = instant(start, item.component.getFirstProperty('dtstart'), source.timezone);
  let until = instant(end, item.component.getFirstProperty('dtend'), source.timezone);
  if (until <= from && start.isDate) until = from + 24 * 3_600_000;
  return { person: '', from, until };
}

/** The occurrences of the calendar's events that overlap [from, until). */
export function icalShifts(source: IcalSource, from: number, until: number): Shift[] {
  const shifts: Shift[] = [];
  for (const { event, personOf } of source.series) {
    if (!event.isRecurring()) {
      const shift = shiftOf(source, event, event.startDate, event.endDate);
      if (shift.from < until && shift.until > from) shifts.push({ ...shift, person: personOf(event) });
      continue;
    }
    const expansion = event.iterator();
    for (let n = 0, next = expansion.next(); next && n < MAX_OCCURRENCES; n++, next = expansion.next()) {
      // ical.js declares this type in a file its package does not export, so it is restated here.
      const details = event.getOccurrenceDetails(next) as Occurrence;
      const shift = shiftOf(source, details.item, details.startDate, details.endDate);
      if (shift.from >= until && details.item === event) break;
      if (shift.from < until && shift.until > from) shifts.push({ ...shift, person: personOf(details.item) });
    }
  }
  return shifts;
}
