import { openApiDocument } from './document.js';
import { API_INFO, OPERATIONS } from './operations.js';

/** Where the checked-in copy lives, and the command that writes it. */
export const OPENAPI_DOC = 'docs/openapi.json';
export const OPENAPI_DOC_COMMAND = 'npm run docs:openapi';

let built: Record<string, unknown> | undefined;

/** The API's OpenAPI 3.1 document (built once: it depends on the code alone). */
export function apiDocument(): Record<string, unknown> {
  built ??= openApiDocument(API_INFO, OPERATIONS);
  return built;
}

/** The document as docs/openapi.json holds it. */
export function apiDocumentText(): string {
  return `${JSON.stringify(apiDocument(), null, 2)}\n`;
}
