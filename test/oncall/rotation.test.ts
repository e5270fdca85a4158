/**
 * Who is on call, from the pure rotation logic: simple rotations handing over at a local time across DST
 * changes, overrides, the first and last shifts, and rotations read from iCalendar text with recurring
 * events, exceptions and time zones. No file, no clock: every instant is given.
 */
import { describe, expect, it } from 'vitest';
import { parseIcal } from '../../src/oncall/ical.js';
import { whoIsOnCall, type LoadedRotation, type Oncall } from '../../src/oncall/resolve.js';
import { parseOncallFile, type Person, type RotationDefinition } from '../../src/oncall/schema.js';
import { instantOf, wallTimeAt } from '../../src/domain/zone.js';

const PEOPLE: Person[] = [
  { name: 'Alice', slack: 'U0123ALICE', email: 'alice@example.com' },
  { name: 'Bob', slack: 'U0123BOBBY' },
  { name: 'Carol', email: 'carol@example.com' },
  { name: 'Dan', slack: 'U0123DANNY', email: 'dan@example.com' },
];

const ms = (iso: string): number => Date.parse(iso);
const iso = (t: number | undefined): string | undefined =>
  t === undefined ? undefined : new Date(t).toISOString();

function oncallOf(rotation: RotationDefinition, ical?: string): { oncall: Oncall; rotation: LoadedRotation } {
  const loaded: LoadedRotation = {
    definition: rotation,
    ...(ical !== undefined ? { ical: parseIcal('test.ics', ical, PEOPLE, rotation.timezone) } : {}),
  };
  return { oncall: { file: 'oncall.yaml', people: PEOPLE, rotations: [loaded] }, rotation: loaded };
}

/** The answer in words: who, since, until, next and from when (ISO times in UTC). */
function ask(rotation: RotationDefinition, at: string, ical?: string) {
  const { oncall, rotation: loaded } = oncallOf(rotation, ical);
  const answer = whoIsOnCall(oncall, loaded, ms(at));
  return {
    who: answer.current?.person.name,
    since: iso(answer.current?.since),
    until: iso(answer.current?.until),
    override: answer.current?.override,
    next: answer.next?.person.name,
    from: iso(answer.next?.from),
  };
}

const weekly: RotationDefinition = {
  name: 'primary',
  timezone: 'Europe/Berlin',
  members: ['Alice', 'Bob', 'Carol'],
  handoff: '09:00',
  shift: '1w',
  start: '2026-11-02',
  overrides: [],
};

describe('a simple rotation', () => {
  it('when asked during a shift, then the member in turn holds it from handoff to handoff', () => {
    // Shifts from Monday 2026-11-02 09:00 Berlin (08:00 UTC): Alice, Bob, Carol, Alice, Bob, …
    expect(ask(weekly, '2026-11-30T05:00:00Z')).toEqual({
      who: 'Alice',
      since: '2026-11-23T08:00:00.000Z',
      until: '2026-11-30T08:00:00.000Z',
      override: undefined,
      next: 'Bob',
      from: '2026-11-30T08:00:00.000Z',
    });
    expect(ask(weekly, '2026-11-30T08:00:00Z').who).toBe('Bob');
    expect(ask(weekly, '2026-11-16T07:59:59Z').who).toBe('Bob');
    expect(ask(weekly, '2026-11-16T08:00:00Z').who).toBe('Carol');
  });

  it('when the clocks go forward, then the handoff stays at 09:00 local time, an hour earlier in UTC', () => {
    // Europe/Berlin goes from +01:00 to +02:00 on Sunday 2027-03-28.
    const before = ask(weekly, '2027-03-29T06:59:00Z');
    expect(before).toMatchObject({ who: 'Carol', since: '2027-03-22T08:00:00.000Z' });
    expect(before.until).toBe('2027-03-29T07:00:00.000Z');
    expect(ask(weekly, '2027-03-29T07:00:00Z')).toMatchObject({
      who: 'Alice',
      until: '2027-04-05T07:00:00.000Z',
    });
  });

  it('when the clocks go back, then the daily shift that spans the change lasts 25 hours', () => {
    const daily = { ...weekly, shift: '1d', start: '2026-10-20' };
    // 2026-10-25 is the night Europe/Berlin returns to +01:00.
    const answer = ask(daily, '2026-10-25T00:00:00Z');
    expect(answer.since).toBe('2026-10-24T07:00:00.000Z'); // 09:00 CEST
    expect(answer.until).toBe('2026-10-25T08:00:00.000Z'); // 09:00 CET
    expect(ask(daily, '2026-10-25T08:00:00Z').until).toBe('2026-10-26T08:00:00.000Z');
  });

  it('when shifts are 12 hours, then they hand over at 09:00 and 21:00 local on both sides of a change', () => {
    const halves = {
      ...weekly,
      timezone: 'America/New_York',
      shift: '12h',
      start: '2027-03-13',
      handoff: '09:00',
    };
    // New York goes from -05:00 to -04:00 at 02:00 on 2027-03-14.
    expect(ask(halves, '2027-03-14T03:00:00Z')).toMatchObject({
      since: '2027-03-14T02:00:00.000Z', // 21:00 EST on the 13th
      until: '2027-03-14T13:00:00.000Z', // 09:00 EDT on the 14th
    });
    const afterwards = ask(halves, '2027-03-14T14:00:00Z');
    expect(afterwards.until).toBe('2027-03-15T01:00:00.000Z'); // 21:00 EDT
  });

  it('when asked before the rotation starts, then nobody is on call and the first member is next', () => {
    expect(ask(weekly, '2026-11-01T12:00:00Z')).toEqual({
      who: undefined,
      since: undefined,
      until: undefined,
      override: undefined,
      next: 'Alice',
      from: '2026-11-02T08:00:00.000Z',
    });
  });

  it('when an override covers the instant, then its person holds it, and the rotation resumes after it', () => {
    const covered = {
      ...weekly,
      overrides: [
        {
          person: 'Dan',
          start: '2026-12-24T09:00:00+01:00',
          end: '2026-12-27T09:00:00+01:00',
          reason: 'holidays',
        },
      ],
    };
    // The week of 2026-12-21 is Bob's.
    expect(ask(covered, '2026-12-23T12:00:00Z')).toMatchObject({
      who: 'Bob',
      until: '2026-12-24T08:00:00.000Z',
      next: 'Dan',
      from: '2026-12-24T08:00:00.000Z',
    });
    expect(ask(covered, '2026-12-25T12:00:00Z')).toEqual({
      who: 'Dan',
      since: '2026-12-24T08:00:00.000Z',
      until: '2026-12-27T08:00:00.000Z',
      override: 'holidays',
      next: 'Bob',
      from: '2026-12-27T08:00:00.000Z',
    });
    expect(ask(covered, '2026-12-28T08:00:00Z').who).toBe('Carol');
  });

  it('when an override gives the shift to its own holder, then the holder is not "next"', () => {
    const same = {
      ...weekly,
      overrides: [{ person: 'Alice', start: '2026-11-03T00:00:00Z', end: '2026-11-10T00:00:00Z' }],
    };
    // Alice's week is followed by Bob's from the 9th, but her override runs until the 10th.
    expect(ask(same, '2026-11-04T00:00:00Z')).toMatchObject({
      who: 'Alice',
      until: '2026-11-10T00:00:00.000Z',
      next: 'Bob',
      from: '2026-11-10T00:00:00.000Z',
    });
  });
});

describe('wall-clock times in a zone', () => {
  it('when a local time is skipped by a DST jump, then it happens as late as the jump pushes it', () => {
    const gap = instantOf({ year: 2027, month: 3, day: 28, hour: 2, minute: 30 }, 'Europe/Berlin');
    expect(iso(gap)).toBe('2027-03-28T01:30:00.000Z'); // 03:30 CEST
  });

  it('when a local time happens twice, then the first is taken', () => {
    const twice = instantOf({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Berlin');
    expect(iso(twice)).toBe('2026-10-25T00:30:00.000Z'); // 02:30 CEST, not CET
    expect(wallTimeAt(twice, 'Europe/Berlin')).toMatchObject({ hour: 2, minute: 30 });
  });
});

const calendar = (...events: string[]): string =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...events, 'END:VCALENDAR', ''].join('\r\n');
const event = (...lines: string[]): string =>
  ['BEGIN:VEVENT', 'DTSTAMP:20261101T000000Z', ...lines, 'END:VEVENT'].join('\r\n');
const fromIcal: RotationDefinition = {
  name: 'secondary',
  timezone: 'Europe/Berlin',
  ical: 'x.ics',
  overrides: [],
};

describe('a rotation read from iCalendar', () => {
  const alternating = calendar(
    event(
      'UID:a',
      'DTSTART;TZID=Europe/Berlin:20261102T090000',
      'DTEND;TZID=Europe/Berlin:20261109T090000',
      'RRULE:FREQ=WEEKLY;INTERVAL=2',
      'SUMMARY:Secondary on call: Dan',
    ),
    event(
      'UID:b',
      'DTSTART;TZID=Europe/Berlin:20261109T090000',
      'DTEND;TZID=Europe/Berlin:20261116T090000',
      'RRULE:FREQ=WEEKLY;INTERVAL=2',
      'EXDATE;TZID=Europe/Berlin:20261221T090000',
      'SUMMARY:Secondary',
      'ATTENDEE;CN=Somebody:mailto:ALICE@example.com',
    ),
  );

  it('when recurring events alternate, then each occurrence is a shift of the person it names', () => {
    expect(ask(fromIcal, '2026-11-30T05:00:00Z', alternating)).toMatchObject({
      who: 'Alice', // by her attendee address, whatever the CN says
      since: '2026-11-23T08:00:00.000Z',
      until: '2026-11-30T08:00:00.000Z',
      next: 'Dan',
    });
  });

  it('when a recurrence crosses a DST change, then it keeps its local time', () => {
    expect(ask(fromIcal, '2027-03-29T06:59:00Z', alternating).until).toBe('2027-03-29T07:00:00.000Z');
  });

  it('when an occurrence is excluded (EXDATE), then nobody holds its week and Dan is next', () => {
    expect(ask(fromIcal, '2026-12-22T12:00:00Z', alternating)).toMatchObject({
      who: undefined,
      next: 'Dan',
      from: '2026-12-28T08:00:00.000Z',
    });
  });

  it('when one occurrence is moved and given to someone else (RECURRENCE-ID), then that one changes only', () => {
    const moved = calendar(
      event(
        'UID:weekly',
        'DTSTART:20261102T080000Z',
        'DTEND:20261109T080000Z',
        'RRULE:FREQ=WEEKLY;COUNT=10',
        'SUMMARY:Carol',
      ),
      event(
        'UID:weekly',
        'RECURRENCE-ID:20261116T080000Z',
        'DTSTART:20261116T120000Z',
        'DTEND:20261123T080000Z',
        'SUMMARY:Bob',
      ),
    );
    expect(ask(fromIcal, '2026-11-16T10:00:00Z', moved)).toMatchObject({
      who: undefined,
      next: 'Bob',
      from: '2026-11-16T12:00:00.000Z',
    });
    expect(ask(fromIcal, '2026-11-20T10:00:00Z', moved)).toMatchObject({ who: 'Bob', next: 'Carol' });
    expect(ask(fromIcal, '2026-12-01T10:00:00Z', moved).who).toBe('Carol');
    // COUNT=10 ends the series on 2027-01-11.
    expect(ask(fromIcal, '2027-01-12T10:00:00Z', moved)).toMatchObject({ who: undefined, next: undefined });
  });

  it('when an event sits on top of a recurring one, then the later-starting one holds its stretch', () => {
    const onTop = calendar(
      event(
        'UID:base',
        'DTSTART;VALUE=DATE:20261102',
        'DTEND;VALUE=DATE:20261109',
        'RRULE:FREQ=WEEKLY',
        'SUMMARY:Carol',
      ),
      event('UID:swap', 'DTSTART:20261210T080000Z', 'DTEND:20261211T080000Z', 'SUMMARY:On call: Bob'),
    );
    // All-day events start at midnight in the rotation's zone (23:00 UTC the day before, in winter).
    expect(ask(fromIcal, '2026-12-10T12:00:00Z', onTop)).toMatchObject({
      who: 'Bob',
      since: '2026-12-10T08:00:00.000Z',
      until: '2026-12-11T08:00:00.000Z',
      next: 'Carol',
    });
    expect(ask(fromIcal, '2026-11-03T12:00:00Z', onTop).since).toBe('2026-11-01T23:00:00.000Z');
  });

  it('when the file defines its own VTIMEZONE, then its rules place the times', () => {
    const withZone = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//EN',
      'BEGIN:VTIMEZONE',
      'TZID:Custom Standard Time',
      'BEGIN:STANDARD',
      'DTSTART:19700101T000000',
      'TZOFFSETFROM:+0530',
      'TZOFFSETTO:+0530',
      'END:STANDARD',
      'END:VTIMEZONE',
      event(
        'UID:z',
        'DTSTART;TZID=Custom Standard Time:20261201T090000',
        'DTEND;TZID=Custom Standard Time:20261202T090000',
        'SUMMARY:Dan',
      ),
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    expect(ask(fromIcal, '2026-12-01T12:00:00Z', withZone)).toMatchObject({
      who: 'Dan',
      since: '2026-12-01T03:30:00.000Z',
      until: '2026-12-02T03:30:00.000Z',
    });
  });

  it('when an event names nobody in people, then parsing fails with the file and the line of the event', () => {
    const text = calendar(
      event('UID:1', 'DTSTART:20261201T000000Z', 'DTEND:20261202T000000Z', 'SUMMARY:Alice'),
      event('UID:2', 'DTSTART:20261202T000000Z', 'DTEND:20261203T000000Z', 'SUMMARY:Holiday'),
    );
    expect(() => parseIcal('team.ics', text, PEOPLE, 'UTC')).toThrow(
      'team.ics:11: VEVENT "Holiday": names nobody in people',
    );
  });

  it('when the text is not iCalendar, then parsing fails naming the file', () => {
    expect(() => parseIcal('team.ics', 'hello', PEOPLE, 'UTC')).toThrow(
      /^team\.ics:1: \(ical\): not an iCalendar/,
    );
  });
});

describe('the on-call file', () => {
  const valid = `people:
  - { name: Alice, slack: U0123ALICE }
  - { name: Bob, email: bob@example.com }
rotations:
  - name: primary
    timezone: Europe/Berlin
    members: [Alice, Bob]
    handoff: '09:00'
    shift: 1w
    start: '2026-11-02'
`;

  it('when it is valid, then its rotations and people are read as written', () => {
    const file = parseOncallFile('oncall.yaml', valid);
    expect(file.rotations[0]).toMatchObject({ name: 'primary', members: ['Alice', 'Bob'], overrides: [] });
    expect(file.people).toHaveLength(2);
  });

  it.each([
    [
      'a time zone this Node does not know',
      valid.replace('Europe/Berlin', 'Mars/Olympus'),
      'oncall.yaml:6: rotations.0.timezone: an IANA time zone',
    ],
    [
      "the host's own zone",
      valid.replace('Europe/Berlin', 'Local'),
      'oncall.yaml:6: rotations.0.timezone: an IANA time zone',
    ],
    [
      'an override by somebody unknown',
      `${valid}    overrides: [{ person: Mallory, start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z' }]\n`,
      'oncall.yaml:11: rotations.0.overrides.0.person: no person named "Mallory" in people',
    ],
    [
      'a member who is not in people',
      valid.replace('[Alice, Bob]', '[Alice, Eve]'),
      'rotations.0.members.1: no person named "Eve"',
    ],
    [
      'no members',
      valid.replace('[Alice, Bob]', '[]'),
      'rotations.0.members: a rotation needs at least one member',
    ],
    ['no rotations', 'people: []\nrotations: []\n', 'oncall.yaml:2: rotations: define at least one rotation'],
    ['an empty file', '', 'oncall.yaml:1: rotations:'],
    [
      'a shift shorter than an hour',
      valid.replace('shift: 1w', 'shift: 30m'),
      'rotations.0.shift: a shift length',
    ],
    [
      'a date that does not exist',
      valid.replace("'2026-11-02'", "'2026-02-30'"),
      'rotations.0.start: a date that exists',
    ],
    [
      'a person nobody can reach',
      valid.replace('{ name: Bob, email: bob@example.com }', '{ name: Bob }'),
      'oncall.yaml:3: people.1: a person needs a way to be reached',
    ],
    [
      'a Slack channel instead of a user',
      valid.replace('U0123ALICE', 'C0123ALICE'),
      'people.0.slack: a Slack user ID',
    ],
    [
      'an override that ends before it starts',
      `${valid}    overrides: [{ person: Bob, start: '2026-12-02T00:00:00Z', end: '2026-12-01T00:00:00Z' }]\n`,
      'rotations.0.overrides.0.end: end must come after start',
    ],
    [
      'a rotation defined twice',
      `${valid}${valid.slice(valid.indexOf('  - name: primary'))}`,
      'rotation "primary" is defined twice',
    ],
    ['a YAML mistake', 'rotations: [', 'oncall.yaml:1: (yaml):'],
  ])('when it has %s, then it is refused with file, line and field', (_what, text, message) => {
    expect(() => parseOncallFile('oncall.yaml', text)).toThrow(message);
  });
});
