import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Logger } from '../lib/logger.js';
import { parseIcal } from './ical.js';
import type { Oncall } from './resolve.js';
import { OncallFileError, parseOncallFile } from './schema.js';
import { messageOf } from '../lib/message-of.js';

function read(file: string, field: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const why = messageOf(err);
    throw new OncallFileError([{ file, line: 1, field, message: `cannot be read: ${why}` }]);
  }
}

/** Where a rotation's .ics file is: relative paths are read from the on-call file's folder. */
export function icalPath(oncallFile: string, path: string): string {
  return resolve(dirname(oncallFile), path);
}

/**
 * Reads and checks the on-call file and every iCalendar file it names; throws an OncallFileError (file,
 * line, field) for the first file that is wrong.
 */
export function loadOncall(file: string): Oncall {
  const parsed = parseOncallFile(file, read(file, '(file)'));
  const rotations = parsed.rotations.map((definition) => {
    if (!('ical' in definition)) return { definition };
    const path = icalPath(file, definition.ical);
    const text = read(path, `rotations.${definition.name}.ical`);
    return { definition, ical: parseIcal(path, text, parsed.people, definition.timezone) };
  });
  return { file, people: parsed.people, rotations };
}

/** The modification times of the on-call file and its calendars: a change to any reads them all again. */
function stamp(file: string, loaded: Oncall | undefined): string {
  const files = [file, ...(loaded?.rotations.flatMap((r) => (r.ical ? [r.ical.file] : [])) ?? [])];
  return files.map((f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 'missing').join(',');
}

/**
 * The on-call file as it is now: read again when it or one of its calendars changes. A file that has
 * become invalid is logged and the last valid one kept (it was checked at start, and a typo must not
 * leave an escalation with nobody to page); one that was never valid throws its OncallFileError.
 */
export function createOncallReader(file: string, logger: Logger): () => Oncall {
  let loaded: { stamp: string; oncall: Oncall } | undefined;
  return () => {
    const now = stamp(file, loaded?.oncall);
    if (loaded?.stamp === now) return loaded.oncall;
    try {
      const oncall = loadOncall(file);
      loaded = { stamp: stamp(file, oncall), oncall };
    } catch (err) {
      logger.error(
        { event: 'oncall.invalid', file, err: messageOf(err) },
        loaded ? 'the on-call file is invalid; keeping the last valid one' : 'the on-call file is invalid',
      );
      if (!loaded) throw err;
      loaded.stamp = now; // logged once per change, not at every question
    }
    return loaded.oncall;
  };
}
