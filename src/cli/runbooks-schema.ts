/**
 * `npm run runbooks:schema [dir]`: writes <dir>/schema.json (default runbooks/), the JSON Schema of a
 * runbook generated from the definitions the product validates with.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runbookJsonSchemaText } from '../domain/runbook-json-schema.js';

const dir = process.argv[2] ?? 'runbooks';
const file = join(dir, 'schema.json');
await writeFile(file, runbookJsonSchemaText());
process.stdout.write(`wrote ${file}\n`);
