import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { FileProblemsError, parseYamlFile, type FileProblem } from '../domain/yaml-file.js';
import { isTimeZone } from '../domain/zone.js';

/**
 * The on-call file (STEADFAST_ONCALL_FILE): the people who can be paged and how to reach them, and the
 * rotations that say who of them is on call when. A rotation is either simple (members taking shifts of a
 * fixed length in turn, handing over at a local time of day) or read from an iCalendar file; either may
 * have overrides, a person covering a period. Pure: parsing and checking, no file of its own.
 */

const HOUR = 3_600_000;

/** A rotation's name, as runbooks write it in `{ type: rotation, rotation: <name> }`. */
export const rotationNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, dot, dash and underscore (at most 63)');

// Shown in Slack, e-mail and the API: one line of plain text.
const personName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}<>&*_~`|]+$/u, 'a name on one line, without <, >, &, *, _, ~, ` or |');

const personSchema = z
  .object({
    name: personName,
    slack: z
      .string()
      .regex(/^[UW][A-Z0-9]{8,20}$/, 'a Slack user ID such as U0123ABCD (profile → ⋮ → Copy member ID)')
      .optional(),
    email: z.email({ error: 'an e-mail address such as alice@example.com' }).optional(),
  })
  .strict()
  .refine((p) => p.slack !== undefined || p.email !== undefined, {
    message: 'a person needs a way to be reached: slack (a user ID), email or both',
  });

const timeZone = z.string().refine(isTimeZone, { message: 'an IANA time zone such as Europe/Berlin or UTC' });

const instant = z.iso.datetime({
  offset: true,
  error: 'an RFC 3339 time with its offset, such as 2026-12-24T09:00:00+01:00',
});

const overrideSchema = z
  .object({
    person: personName,
    start: instant,
    end: instant,
    reason: z.string().trim().max(200).optional(),
  })
  .strict()
  .refine((o) => Date.parse(o.end) > Date.parse(o.start), {
    message: 'end must come after start',
    path: ['end'],
  });

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2026-11-02')
  .refine(
    (d) =>
      !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    {
      message: 'a date that exists, such as 2026-11-02',
    },
  );

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day such as 09:00 (00:00 to 23:59)');

/** A shift's length: a duration as runbooks write them (`12h`, `1d`), or whole weeks (`1w`, `2w`). */
export function shiftMs(text: string): number | undefined {
  const weeks = /^(\d{1,2})w$/.exec(text);
  const ms = weeks ? Number(weeks[1]) * 7 * 24 * HOUR : parseDuration(text);
  return ms !== undefined && ms >= HOUR && ms <= 366 * 24 * HOUR && ms % 60_000 === 0 ? ms : undefined;
}

const shift = z.string().refine((s) => shiftMs(s) !== undefined, {
  message: 'a shift length such as 12h, 1d or 1w (whole minutes, from 1h to 366d)',
});

const common = {
  name: rotationNameSchema,
  timezone: timeZone,
  overrides: z.array(overrideSchema).max(1000).default([]),
};

const simpleRotationSchema = z
  .object({
    ...common,
    members: z.array(personName).min(1, 'a rotation needs at least one member').max(100),
    handoff: clock,
    shift,
    start: date,
  })
  .strict();

const icalRotationSchema = z
  .object({
    ...common,
    /** The .ics file, relative to the on-call file; its events' attendees or summaries name the person. */
    ical: z.string().trim().min(1).max(1000),
  })
  .strict();

/** A rotation with `ical` is read from that file; any other is simple (so its mistakes are its own). */
type SimpleRotation = z.infer<typeof simpleRotationSchema>;
type IcalRotation = z.infer<typeof icalRotationSchema>;

const rotationSchema = z.unknown().transform((raw, ctx): SimpleRotation | IcalRotation => {
  const fromIcal = typeof raw === 'object' && raw !== null && 'ical' in raw;
  const result = (fromIcal ? icalRotationSchema : simpleRotationSchema).safeParse(raw);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  }
  return z.NEVER;
});

function checkNames(
  file: { people: { name: string }[]; rotations: z.infer<typeof rotationSchema>[] },
  ctx: z.RefinementCtx,
): void {
  const people = new Set<string>();
  file.people.forEach((p, i) => {
    const key = p.name.toLowerCase();
    if (people.has(key))
      ctx.addIssue({ code: 'custom', message: `"${p.name}" is defined twice`, path: ['people', i, 'name'] });
    people.add(key);
  });
  const unknown = (name: string, path: (string | number)[]): void => {
    if (!people.has(name.toLowerCase()))
      ctx.addIssue({ code: 'custom', message: `no person named "${name}" in people`, path });
  };
  const rotations = new Set<string>();
  file.rotations.forEach((r, i) => {
    if (rotations.has(r.name))
      ctx.addIssue({
        code: 'custom',
        message: `rotation "${r.name}" is defined twice`,
        path: ['rotations', i, 'name'],
      });
    rotations.add(r.name);
    if ('members' in r) r.members.forEach((m, j) => unknown(m, ['rotations', i, 'members', j]));
    r.overrides.forEach((o, j) => unknown(o.person, ['rotations', i, 'overrides', j, 'person']));
  });
}

export const oncallFileSchema = z
  .object({
    people: z.array(personSchema).max(1000).default([]),
    rotations: z.array(rotationSchema).min(1, 'define at least one rotation').max(100),
  })
  .strict()
  .superRefine(checkNames);

export type OncallFile = z.infer<typeof oncallFileSchema>;
export type Person = z.infer<typeof personSchema>;
export type Override = OncallFile['rotations'][number]['overrides'][number];
export type { SimpleRotation, IcalRotation };
export type RotationDefinition = SimpleRotation | IcalRotation;

export type OncallProblem = FileProblem;

/** A mistake in the on-call file or an iCalendar file it names, with file and line. */
export class OncallFileError extends FileProblemsError {
  constructor(problems: OncallProblem[]) {
    super(problems);
    this.name = 'OncallFileError';
  }
}

/** Parses the on-call file; throws an OncallFileError naming file, line and field for each problem. */
export function parseOncallFile(file: string, text: string): OncallFile {
  return parseYamlFile(file, text, oncallFileSchema, {
    fail: (problems) => new OncallFileError(problems.sort((a, b) => a.line - b.line)),
    whole: '(oncall)',
    empty: {},
  });
}
