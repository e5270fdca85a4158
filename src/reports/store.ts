import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
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
 * Writes the report through a temporary file renamed into place, so that a reader, or a crash, never
 * sees half a report; the data is flushed to disk before the rename because this is the audit record
 * that outlives Temporal's retention.
 */
export async function saveReport(
  dir: string,
  incidentId: string,
  content: string,
  kind: RecordKind = 'html',
): Promise<string> {
  const file = reportFile(dir, incidentId, kind);
  await mkdir(dir, { recursive: true });
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
  return file;
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
