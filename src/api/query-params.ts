import { z } from 'zod';

/**
 * A query parameter holding a whole number in decimal digits, `fallback` when absent. `z.coerce.number()`
 * took anything `Number` reads: `0x10` was 16, `1e2` 100 and an empty value 0.
 */
export const queryInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'a whole number in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    // Documented as what it is to a client: an integer in a range (a query string is text either way).
    .meta({ type: 'integer', minimum: min, maximum: max, pattern: undefined })
    .default(fallback)
    // zod leaves a default out of an input schema once a transform comes before it.
    .meta({ description: `Default ${fallback}.` });

/** A query parameter holding a decimal number (`0.5`) in digits only, `fallback` when absent; see queryInt. */
export const queryDecimal = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,9}(\.\d{1,9})?$/, 'a number in decimal digits')
    .transform(Number)
    .pipe(z.number().min(min).max(max))
    .meta({ type: 'number', minimum: min, maximum: max, pattern: undefined })
    .default(fallback)
    .meta({ description: `Default ${fallback}.` });
