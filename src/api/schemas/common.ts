import { z } from 'zod';

/**
 * Shapes shared by the API's answers. These schemas describe what the API sends, for the OpenAPI
 * document (src/api/openapi/) and the tests that hold real answers against it; requests are validated
 * with the routes' own schemas.
 */

/** A time as the API writes it: RFC 3339 (an alert's own times keep the offset its sender gave). */
export const timestamp = z.string().meta({ format: 'date-time' });

/** Every refusal and failure: a code a client can branch on, and a sentence for people. */
export const errorSchema = z
  .object({
    error: z.string().meta({ description: 'A stable code, e.g. InvalidInput, IncidentNotFound.' }),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error' });

export const labelsSchema = z.record(z.string(), z.string());

/** A secret named by reference: where it is read from, never its value. */
export const secretRefSchema = z
  .object({
    secret: z.union([z.object({ env: z.string() }), z.object({ file: z.string() })]),
    prefix: z.string().optional(),
  })
  .meta({ id: 'SecretRef' });

/** What a route sends for a response schema: `res.json({ … } satisfies Body<typeof schema>)`. */
export type Body<S extends z.ZodType> = z.input<S>;

/** A link to the incident's workflow in the Temporal Web UI. */
export const temporalUrl = z.url();
