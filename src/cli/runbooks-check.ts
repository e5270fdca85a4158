/**
 * `npm run runbooks:check [dir]`: validates every runbook and prints file:line: field: problem for each
 * mistake. Exits 1 when any runbook is invalid, 0 otherwise.
 */
import { loadRunbooks } from '../activities/recommend.js';

const dir = process.argv[2] ?? process.env['STEADFAST_RUNBOOKS_DIR'] ?? 'runbooks';
const { runbooks, problems } = await loadRunbooks(dir);
for (const error of problems) {
  for (const p of error.problems) process.stderr.write(`${p.file}:${p.line}: ${p.field}: ${p.message}\n`);
}
process.stdout.write(`${runbooks.length} runbook(s) valid, ${problems.length} invalid in ${dir}\n`);
process.exitCode = problems.length > 0 ? 1 : 0;
