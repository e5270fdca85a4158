/**
 * `npm run runbooks:check [dir]`: validates every runbook and prints file:line: field: problem for each
 * mistake, and checks that the folder's schema.json is the one the code generates (regenerate it with
 * `npm run runbooks:schema`). Exits 1 when anything is wrong, 0 otherwise.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCalendar } from '../activities/calendar.js';
import { loadRunbooks } from '../activities/recommend.js';
import { CalendarError, type Calendar } from '../domain/calendar.js';
import { envShape } from '../config/env.js';
import { configuredPrometheus } from '../domain/metrics-source.js';
import { runbookJsonSchemaText } from '../domain/runbook-json-schema.js';
import { runbookWarnings } from '../domain/runbook.js';
import { unknownRotations } from '../oncall/check.js';
import { loadOncall } from '../oncall/load.js';
import type { Oncall } from '../oncall/resolve.js';
import { OncallFileError } from '../oncall/schema.js';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'usage: npm run runbooks:check [-- <dir>]\n' +
      '  Validates every *.yaml runbook in <dir> (default: $STEADFAST_RUNBOOKS_DIR or runbooks) and\n' +
      "  checks that <dir>/schema.json, if present, matches the code's schema; with\n" +
      '  STEADFAST_CALENDAR_FILE set, also checks the change calendar and the hours runbooks name;\n' +
      '  with STEADFAST_ONCALL_FILE set, the on-call file and the rotations runbooks page.\n',
  );
  process.exit(0);
}
const dir = args[0] ?? process.env['STEADFAST_RUNBOOKS_DIR'] ?? 'runbooks';
const { runbooks, problems } = await loadRunbooks(dir);
for (const error of problems) {
  for (const p of error.problems) process.stderr.write(`${p.file}:${p.line}: ${p.field}: ${p.message}\n`);
}
let stale = false;
const schemaFile = join(dir, 'schema.json');
const published = await readFile(schemaFile, 'utf8').catch(() => undefined);
if (published !== undefined && published !== runbookJsonSchemaText()) {
  stale = true;
  process.stderr.write(`${schemaFile}: out of date with the code; run npm run runbooks:schema\n`);
}
// A warning, not a failure: a deployment may set STEADFAST_APPROVERS where this check does not see it.
const approvers = envShape.STEADFAST_APPROVERS.parse(process.env['STEADFAST_APPROVERS']);
const prometheus = configuredPrometheus({
  prometheusUrl: envShape.PROMETHEUS_URL.parse(process.env['PROMETHEUS_URL']),
  prometheusUrls: envShape.STEADFAST_PROMETHEUS_URLS.parse(process.env['STEADFAST_PROMETHEUS_URLS']),
}).urls;
for (const runbook of runbooks) {
  for (const { message } of runbookWarnings(runbook, { approvers, prometheus })) {
    process.stderr.write(`${runbook.file}: warning: ${message}\n`);
  }
}
// The change calendar is checked with the runbooks that name its hours, when it is set here.
const calendarFile = process.env['STEADFAST_CALENDAR_FILE'] || undefined;
let calendar: Calendar | undefined;
let badCalendar = false;
try {
  calendar = calendarFile ? loadCalendar(calendarFile) : undefined;
} catch (err) {
  if (!(err instanceof CalendarError)) throw err;
  badCalendar = true;
  process.stderr.write(`${err.message}\n`);
}
for (const runbook of runbooks) {
  const hours = runbook.hours;
  if (hours === undefined || calendar?.time_intervals.some((t) => t.name === hours)) continue;
  const where = calendar ? `${calendar.file} does not define it` : 'STEADFAST_CALENDAR_FILE is not set here';
  process.stderr.write(
    `${runbook.file}: warning: hours "${hours}": ${where}; its plans are never approved automatically\n`,
  );
}
// The on-call file likewise; with it set, a runbook paging a rotation it does not define is an error.
const oncallFile = process.env['STEADFAST_ONCALL_FILE'] || undefined;
let oncall: Oncall | undefined;
let badOncall = false;
try {
  oncall = oncallFile ? loadOncall(oncallFile) : undefined;
} catch (err) {
  if (!(err instanceof OncallFileError)) throw err;
  badOncall = true;
  process.stderr.write(`${err.message}\n`);
}
for (const runbook of runbooks) {
  for (const unknown of unknownRotations(runbook, oncall)) {
    // Without the file here, the deployment may still define the rotation: a warning only.
    if (oncall) badOncall = true;
    process.stderr.write(`${runbook.file}: ${oncall ? 'error' : 'warning'}: ${unknown.message}\n`);
  }
}
process.stdout.write(`${runbooks.length} runbook(s) valid, ${problems.length} invalid in ${dir}\n`);
process.exitCode = problems.length > 0 || stale || badCalendar || badOncall ? 1 : 0;
