import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import { apiDocument } from '../../src/api/openapi/index.js';

// ajv-formats is CommonJS with `exports.default`: under NodeNext its default import is the module.
const addFormats = formatsModule.default;

/** A JSON Schema 2020-12 validator with formats (date-time, uri, email) checked. */
export function schemaValidator(options: { strict: boolean }): Ajv2020 {
  const ajv = new Ajv2020({ strict: options.strict, strictTypes: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
  >;
  components: { schemas: Record<string, unknown> };
};

/** The OpenAPI document's components as a schema Ajv can resolve references into (`openapi#/$defs/…`). */
export function withComponents(ajv: Ajv2020): Doc {
  const doc = apiDocument() as unknown as Doc;
  const defs = JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', 'openapi#/$defs/');
  ajv.addSchema({ $id: 'openapi', $defs: JSON.parse(defs) as object });
  return doc;
}

/** A schema of the document, its references pointed at the components added by withComponents. */
export function resolvable(schema: unknown): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', 'openapi#/$defs/')) as object;
}
