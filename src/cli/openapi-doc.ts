/** `npm run docs:openapi`: writes docs/openapi.json from the API's schemas (a test checks it is current). */
import { writeFile } from 'node:fs/promises';
import { apiDocumentText, OPENAPI_DOC } from '../api/openapi/index.js';

await writeFile(OPENAPI_DOC, apiDocumentText());
process.stdout.write(`wrote ${OPENAPI_DOC}\n`);
