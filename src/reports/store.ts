import { randomUUID } from 'node:crypto';
import { copyFile, link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,249}$/;

/** What is written for a closed incident: the HTML report, and beside it the postmortem draft. */
export type RecordKind = 'html' | 'md';

/** The record's one file name per incident, so writing it again replaces it rather than adding another. */
export function reportFile(dir: string, incidentId: string, kind: RecordKind = 'html'): string {
  if (!SAFE_ID.test(incidentId)) throw new Error(`not a safe file name for a report: ${incidentId}`);
  return join(dir, `${incidentId}.${kind}`);
}

/**
 * The name of one incident's own record: an incident ID names every incident of its correlation key (the
 * same alert group, weeks apart), so the time it opened tells them apart. `2026-12-01T18:30:33.583Z`
 * becomes `20261201T183033583Z`.
 */
export function openedStamp(openedAt: string): string | undefined {
  const stamp = openedAt.replace(/[-:.]/g, '');
  return /^\d{8}T\d{9}Z$/.test(stamp) ? stamp : undefined;
}

/**
 * Writes the report through a temporary file renamed into place, so that a reader, or a crash, never
 * sees half a report; the data is flushed to disk before the rename because this is the audit record
 * that outlives Temporal's retention. With the time the incident opened, the record is kept under
 * `<incident ID>.<opened>.<kind>`, which the next incident of the same ID does not replace, and the plain
 * `<incident ID>.<kind>` (the latest, which the API serves) becomes a second link to it.
 */
export async function saveReport(
  dir: string,
  incidentId: string,
  content: string,
  kind: RecordKind = 'html',
  openedAt?: string,
): Promise<string> {
  const latest = reportFile(dir, incidentId, kind);
  const stamp = openedAt === undefined ? undefined : openedStamp(openedAt);
  const file = stamp ? reportFile(dir, `${incidentId}.${stamp}`, kind) : latest;
  await mkdir(dir, { recursive: true });
  await writeAtomically(dir, file, content);
  if (file !== latest) await replaceWithLink(dir, file, latest);
  return file;
}

async function writeAtomically(dir: string, file: string, content: string): Promise<void> {
  const temporary = join(dir, `.${randomUUID()}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o640);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/** Points `name` at `file`'s content atomically: a hard link, or a copy where links are not supported. */
async function replaceWithLink(dir: string, file: string, name: string): Promise<void> {
  const temporary = join(dir, `.${randomUUID()}.tmp`);
  try {
    await link(file, temporary).catch(() => copyFile(file, temporary));
    await rename(temporary, name);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/** The saved report (or postmortem draft), or undefined when there is none. */
export async function loadReport(
  dir: string,
  incidentId: string,
  kind: RecordKind = 'html',
): Promise<string | undefined> {
  if (!SAFE_ID.test(incidentId)) return undefined;
  try {
    return await readFile(reportFile(dir, incidentId, kind), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
