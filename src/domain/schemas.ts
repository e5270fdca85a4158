import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A duration as written in configuration (`30s`, `5m`, `1h30m`), read as milliseconds. */
export const durationMs = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((s) => parseDuration(s) !== undefined, { message: 'a duration such as 30s, 5m or 1h' })
    .transform((s) => parseDuration(s) ?? 0);

/** A comma-separated list (`a, b,c`), read as its trimmed, non-empty items. */
export const commaList = (fallback = '') =>
  z
    .string()
    .default(fallback)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    );
