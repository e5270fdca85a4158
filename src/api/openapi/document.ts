import { z } from 'zod';
import type { Role } from '../auth.js';
import { errorSchema } from '../schemas/common.js';

/**
 * Builds an OpenAPI 3.1 document from the zod schemas the routes validate with and the response schemas
 * in src/api/schemas/. Pure: the same operations always give the same document (docs/openapi.json is
 * checked against it). zod's own z.toJSONSchema does the conversion; schemas with a `.meta({ id })`
 * become shared components.
 */

type JsonSchema = Record<string, unknown>;

export interface Answer {
  description: string;
  /**
   * The body's schema; a body of another content type (HTML, metrics text) is described as a string,
   * and an answer with neither has no body.
   */
  schema?: z.ZodType;
  contentType?: string;
}

export interface Operation {
  method: 'get' | 'post' | 'delete' | 'options';
  /** The path with OpenAPI templates: /api/v1/incidents/{id}. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** The role a bearer token needs; `public` needs none, `public-or-read` tells more to read tokens. */
  access: Role | 'public' | 'public-or-read';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; contentType: string; description?: string; optional?: boolean };
  responses: Record<number, Answer>;
  /** Answers 503 when Temporal cannot be reached. */
  temporal?: boolean;
}

const ERROR_ANSWERS: Record<number, string> = {
  400: 'Bad input: the message and `details` name each problem; nothing was changed.',
  401: 'No token, or not a valid one.',
  403: "The token lacks this endpoint's role.",
  413: 'The body is larger than the limit; nothing was read.',
  503: 'Temporal cannot be reached; retry later (nothing was recorded).',
};

class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  /** The JSON Schema of a zod schema, its shared parts moved to components. */
  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const generated = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      // Transforms and refinements read input the schema's type already describes.
      unrepresentable: 'any',
    }) as JsonSchema;
    const text = JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/');
    const { $defs, ...body } = JSON.parse(text) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    // The document names the dialect once (jsonSchemaDialect).
    delete body['$schema'];
    // A schema that is itself a component comes back as a reference to it.
    for (const [id, def] of Object.entries($defs ?? {})) this.add(id, def);
    return body;
  }

  private add(id: string, def: JsonSchema): void {
    const known = this.schemas[id];
    if (known && JSON.stringify(known) !== JSON.stringify(def)) {
      throw new Error(`OpenAPI component ${id} differs between two uses (a request and a response?)`);
    }
    this.schemas[id] = def;
  }
}

function parameters(components: Components, where: 'path' | 'query', schema?: z.ZodObject): JsonSchema[] {
  if (!schema) return [];
  const json = components.convert(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function answer(components: Components, a: Answer): JsonSchema {
  if (!a.schema && !a.contentType) return { description: a.description };
  const type = a.contentType ?? 'application/json';
  const schema = a.schema ? components.convert(a.schema, 'output') : { type: 'string' };
  return { description: a.description, content: { [type]: { schema } } };
}

function operation(components: Components, op: Operation): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, a] of Object.entries(op.responses)) responses[status] = answer(components, a);
  const errors = [
    ...(op.params || op.query || op.body ? [400] : []),
    ...(op.access === 'public' || op.access === 'public-or-read' ? [] : [401, 403]),
    ...(op.body ? [413] : []),
    ...(op.temporal ? [503] : []),
  ];
  for (const status of errors) {
    responses[String(status)] ??= answer(components, {
      description: ERROR_ANSWERS[status] ?? 'refused',
      schema: errorSchema,
    });
  }
  const role = op.access === 'public' ? [] : op.access === 'public-or-read' ? ['read'] : [op.access];
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.access === 'public'
      ? { security: [] }
      : op.access === 'public-or-read'
        ? { security: [{}, { bearer: [] }] }
        : { security: [{ bearer: [] }] }),
    'x-steadfast-roles': role,
    parameters: [...parameters(components, 'path', op.params), ...parameters(components, 'query', op.query)],
    ...(op.body
      ? {
          requestBody: {
            required: !op.body.optional,
            ...(op.body.description ? { description: op.body.description } : {}),
            content: { [op.body.contentType]: { schema: components.convert(op.body.schema, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
}

/** The OpenAPI 3.1 document of these operations. */
export function openApiDocument(info: DocumentInfo, operations: readonly Operation[]): JsonSchema {
  const components = new Components();
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of operations) {
    const item = (paths[op.path] ??= {});
    if (item[op.method]) throw new Error(`${op.method.toUpperCase()} ${op.path} is described twice`);
    item[op.method] = operation(components, op);
  }
  const tags = [...new Set(operations.map((o) => o.tag))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags,
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components.schemas).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API token (STEADFAST_API_TOKEN or STEADFAST_TOKENS_FILE); roles: ingest, read, approve.',
        },
      },
    },
  };
}
