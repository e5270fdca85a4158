import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCalendarActivities, loadCalendar } from '../../src/activities/calendar.js';
import { createLogger } from '../../src/lib/logger.js';
import {
  CalendarError,
  inNamedInterval,
  inTimeInterval,
  outlookOf,
  parseCalendar,
  type Calendar,
} from '../../src/domain/calendar.js';
import { blockAt } from '../../src/domain/outlook.js';

const at = (iso: string): number => Date.parse(iso);

const CALENDAR = `
time_intervals:
  - name: business-hours
    time_intervals:
      - weekdays: ['monday:friday']
        times: [{ start_time: '09:00', end_time: '17:00' }]
        location: Europe/Berlin
  - name: friday-afternoon
    time_intervals:
      - weekdays: [friday]
        times: [{ start_time: '14:00', end_time: '24:00' }]
        location: America/New_York
freezes:
  - name: year-end
    reason: Year-end change freeze
    start: 2026-12-20T00:00:00+01:00
    end: 2027-01-04T00:00:00+01:00
  - name: fridays
    reason: No automatic changes before the weekend
    time_intervals: [friday-afternoon]
`;

const calendar = (): Calendar => parseCalendar('calendar.yaml', CALENDAR);

function problems(text: string): string[] {
  try {
    parseCalendar('cal.yaml', text);
  } catch (err) {
    if (err instanceof CalendarError) return err.problems.map((p) => `${p.line}: ${p.field}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('calendar file', () => {
  it('when a field is wrong, then the error names the line and the field', () => {
    const text = [
      'time_intervals:', //                                   1
      '  - name: office', //                                  2
      '    time_intervals:', //                               3
      "      - weekdays: ['monday:funday']", //               4
      '        location: Mars/Olympus', //                    5
      'freezes:', //                                          6
      '  - name: launch', //                                  7
      '    reason: launch week', //                           8
      '    start: 2026-12-01T00:00:00Z', //                   9
      '  - name: nights', //                                  10
      '    reason: nights', //                                11
      '    time_intervals: [night]', //                       12
    ].join('\n');
    expect(problems(text)).toEqual([
      expect.stringMatching(
        /^4: time_intervals\.0\.time_intervals\.0\.weekdays\.0: "monday:funday" is not a weekday/,
      ),
      expect.stringMatching(/^5: time_intervals\.0\.time_intervals\.0\.location: an IANA time zone/),
      // A missing field points at its parent.
      expect.stringMatching(/^7: freezes\.0\.end: a one-off freeze needs both start and end/),
    ]);
    // Names are checked across the file once each part is valid on its own.
    const unknown =
      'time_intervals: []\nfreezes:\n  - name: nights\n    reason: nights\n    time_intervals: [night]\n';
    expect(problems(unknown)).toEqual([
      expect.stringMatching(/^5: freezes\.0\.time_intervals\.0: no time interval named "night"/),
    ]);
  });

  it('when ranges run backwards or times are out of the day, then each is refused as Alertmanager refuses it', () => {
    const text = `
time_intervals:
  - name: bad
    time_intervals:
      - weekdays: ['saturday:sunday']
        days_of_month: ['-1:1']
        times: [{ start_time: '17:00', end_time: '09:00' }, { start_time: '09:00', end_time: '24:30' }]
`;
    expect(problems(text)).toEqual([
      expect.stringContaining('weekdays.0: "saturday:sunday": weekday range must not end before it starts'),
      expect.stringContaining('days_of_month.0: "-1:1": a range of days must not end before it starts'),
      expect.stringContaining('times.0: end_time must come after start_time'),
      expect.stringContaining('times.1.end_time: a time of day such as 09:00'),
    ]);
  });

  it('when the YAML itself is broken, then the error names its line', () => {
    expect(problems('freezes:\n  - name: x\n    reason: [unclosed\n')).toEqual([
      expect.stringMatching(/^\d+: \(yaml\): /),
    ]);
  });

  it('when the file is empty, then the calendar has no intervals and no freezes', () => {
    expect(parseCalendar('empty.yaml', '')).toMatchObject({ time_intervals: [], freezes: [] });
  });
});

describe('time intervals across time zones and DST', () => {
  const office = {
    weekdays: [[1, 5]] as [number, number][],
    times: [{ start_time: 540, end_time: 1020 }],
    location: 'Europe/Berlin',
  };

  it('reads 09:00 to 17:00 in Berlin on its own clock, winter (UTC+1) and summer (UTC+2)', () => {
    expect(inTimeInterval(office, at('2026-01-14T07:59:00Z'))).toBe(false); // 08:59
    expect(inTimeInterval(office, at('2026-01-14T08:00:00Z'))).toBe(true); // 09:00
    expect(inTimeInterval(office, at('2026-01-14T15:59:00Z'))).toBe(true); // 16:59
    expect(inTimeInterval(office, at('2026-01-14T16:00:00Z'))).toBe(false); // 17:00, the end is exclusive
    expect(inTimeInterval(office, at('2026-07-15T07:00:00Z'))).toBe(true); // 09:00 CEST
    expect(inTimeInterval(office, at('2026-07-15T15:00:00Z'))).toBe(false); // 17:00 CEST
    expect(inTimeInterval(office, at('2026-01-17T10:00:00Z'))).toBe(false); // a Saturday
  });

  it('takes the weekday of the zone, not of UTC', () => {
    const monday = { weekdays: [[1, 1]] as [number, number][], location: 'Pacific/Auckland' };
    expect(inTimeInterval(monday, at('2026-03-01T20:00:00Z'))).toBe(true); // Monday 09:00 in Auckland, Sunday in UTC
    expect(inTimeInterval(monday, at('2026-03-02T20:00:00Z'))).toBe(false); // Tuesday there
  });

  it('when clocks spring forward, then the skipped local hour never happens, and when they fall back the repeated hour lasts two', () => {
    const berlinTwoAm = { times: [{ start_time: 120, end_time: 180 }], location: 'Europe/Berlin' };
    const spring = outlookOf(
      {
        time_intervals: [{ name: 'two', time_intervals: [berlinTwoAm] }],
        freezes: [{ name: 'f', reason: 'r', time_intervals: ['two'] }],
      },
      {},
      at('2026-03-28T12:00:00Z'),
      24 * 3_600_000,
    );
    expect(spring.periods).toEqual([]); // 29 March 2026: 02:00 becomes 03:00 in Berlin
    const nyOneAm = { times: [{ start_time: 60, end_time: 120 }], location: 'America/New_York' };
    const fall = outlookOf(
      {
        time_intervals: [{ name: 'one', time_intervals: [nyOneAm] }],
        freezes: [{ name: 'f', reason: 'r', time_intervals: ['one'] }],
      },
      {},
      at('2026-11-01T00:00:00Z'),
      24 * 3_600_000,
    );
    // 1 November 2026: 01:00 EDT (05:00Z) to 02:00 EST (07:00Z), the hour from 01:00 seen twice.
    expect(fall.periods.map((p) => [p.from, p.until])).toEqual([
      ['2026-11-01T05:00:00.000Z', '2026-11-01T07:00:00.000Z'],
    ]);
  });

  it('counts negative days of the month from its end, leap years included', () => {
    const lastDay = { days_of_month: [[-1, -1]] as [number, number][], location: 'UTC' };
    expect(inTimeInterval(lastDay, at('2028-02-29T12:00:00Z'))).toBe(true);
    expect(inTimeInterval(lastDay, at('2027-02-28T12:00:00Z'))).toBe(true);
    expect(inTimeInterval(lastDay, at('2028-02-28T12:00:00Z'))).toBe(false);
  });

  it('matches months and years by name or number', () => {
    const c = parseCalendar(
      'c.yaml',
      `
time_intervals:
  - name: summer-2026
    time_intervals: [{ months: ['june:august'], years: ['2026'], location: UTC }]
`,
    );
    expect(inNamedInterval(c, 'summer-2026', at('2026-07-01T00:00:00Z'))).toBe(true);
    expect(inNamedInterval(c, 'summer-2026', at('2027-07-01T00:00:00Z'))).toBe(false);
    expect(inNamedInterval(c, 'summer-2026', at('2026-09-01T00:00:00Z'))).toBe(false);
    expect(inNamedInterval(c, 'no-such-interval', at('2026-07-01T00:00:00Z'))).toBe(false);
  });
});

describe('the outlook: when no plan is approved automatically', () => {
  it('when a one-off freeze is on, then the block says why and until when', () => {
    const outlook = outlookOf(calendar(), {}, at('2026-12-22T10:00:00Z'));
    expect(blockAt(outlook, at('2026-12-22T10:00:00Z'))).toEqual({
      until: '2027-01-03T23:00:00.000Z',
      kind: 'freeze',
      names: ['year-end'],
      reason: 'change freeze "year-end": Year-end change freeze',
    });
  });

  it('when a recurring freeze covers Friday afternoon in New York, then it blocks from 14:00 to midnight there, Berlin time notwithstanding', () => {
    const outlook = outlookOf(calendar(), {}, at('2026-06-01T00:00:00Z'));
    const friday = blockAt(outlook, at('2026-06-05T18:00:00Z')); // Friday 14:00 EDT
    expect(friday).toMatchObject({ names: ['fridays'], until: '2026-06-06T04:00:00.000Z' });
    expect(blockAt(outlook, at('2026-06-05T17:59:00Z'))).toBeUndefined();
  });

  it('when a runbook is limited to business hours, then the time outside them is blocked, and a freeze inside them still blocks', () => {
    const outlook = outlookOf(calendar(), { hours: 'business-hours' }, at('2026-06-05T12:00:00Z'));
    expect(blockAt(outlook, at('2026-06-05T12:00:00Z'))).toBeUndefined(); // Friday 14:00 in Berlin, 08:00 in New York
    const evening = blockAt(outlook, at('2026-06-05T15:00:00Z')); // 17:00 in Berlin
    // Outside business hours from Friday 17:00 Berlin, joined by New York's Friday freeze, until Monday 09:00 Berlin.
    expect(evening).toMatchObject({ kind: 'hours', until: '2026-06-08T07:00:00.000Z' });
    expect(evening?.reason).toBe('the runbook acts automatically only during "business-hours"');
    const both = blockAt(outlook, at('2026-06-05T19:00:00Z'));
    expect(both?.names.sort()).toEqual(['business-hours', 'fridays']);
  });

  it('when a runbook names hours the calendar does not define, or there is no calendar, then it is blocked throughout the horizon', () => {
    const unknown = outlookOf(calendar(), { hours: 'night-shift' }, at('2026-06-05T12:00:00Z'));
    expect(blockAt(unknown, at('2026-06-05T12:00:00Z'))).toMatchObject({
      kind: 'hours',
      until: unknown.horizon,
      reason: 'the runbook is limited to hours "night-shift", which the calendar does not define',
    });
    const none = outlookOf(undefined, { hours: 'business-hours' }, at('2026-06-05T12:00:00Z'));
    expect(blockAt(none, at('2026-06-10T12:00:00Z'))?.reason).toContain('no calendar is configured');
  });

  it('when nothing is configured, then nothing blocks; past the horizon the outlook knows nothing', () => {
    const empty = outlookOf(undefined, {}, at('2026-06-05T12:00:00Z'));
    expect(empty.periods).toEqual([]);
    const frozen = outlookOf(calendar(), {}, at('2026-12-22T10:00:00Z'), 3_600_000);
    expect(blockAt(frozen, at('2026-12-22T10:30:00Z'))?.until).toBe(frozen.horizon);
    expect(blockAt(frozen, at('2026-12-22T11:00:00Z'))).toBeUndefined();
  });
});

describe('the calendar activity', () => {
  const write = (file: string, text: string, mtime: number): void => {
    writeFileSync(file, text);
    utimesSync(file, mtime, mtime);
  };

  it('reads the file again when it changes, and keeps the last valid calendar when it turns invalid', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'steadfast-calendar-')), 'calendar.yaml');
    const now = at('2026-12-22T10:00:00Z');
    const activities = createCalendarActivities({ file, now: () => now }, createLogger('silent'));
    const checkCalendar = (r: { hours?: string }) => activities.checkCalendar(r);
    write(file, '', 1000);
    expect((await checkCalendar({})).periods).toEqual([]);
    write(file, CALENDAR, 2000);
    expect(blockAt(await checkCalendar({}), now)?.names).toEqual(['year-end']);
    write(file, 'freezes: [{ name: x }]', 3000);
    expect(blockAt(await checkCalendar({}), now)?.names).toEqual(['year-end']);
  });

  it('names the file when it cannot be read at start', () => {
    expect(() => loadCalendar('/nonexistent/calendar.yaml')).toThrow(
      /^\/nonexistent\/calendar\.yaml:1: \(file\): cannot be read: /,
    );
  });
});
