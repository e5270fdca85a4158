/**
 * `npm run docs:config`: writes docs/configuration.md, every environment variable with its default and
 * description, generated from the schema the product validates with (src/config/env.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CONFIGURATION_DOC, configurationDocText } from '../config/configuration-doc.js';

await mkdir(dirname(CONFIGURATION_DOC), { recursive: true });
await writeFile(CONFIGURATION_DOC, configurationDocText());
process.stdout.write(`wrote ${CONFIGURATION_DOC}\n`);
