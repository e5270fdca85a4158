import express, { type RequestHandler } from 'express';
import { HttpError } from './errors.js';

/**
 * Where in a parsed JSON body a key `__proto__` sits (such as `alerts.0.labels`), or undefined. JSON.parse
 * keeps it as an own key, but any object built from it by assignment (zod's records among them) drops
 * it without a word: a label named so vanished from the alert, and two alerts differing only in it became
 * one. Walked with a stack, not recursion, so no nesting depth overflows it.
 */
export function protoKeyPath(body: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: body, path: '' }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (!Array.isArray(value) && Object.hasOwn(value, '__proto__')) return path || '(body)';
    for (const [key, child] of Object.entries(value)) {
      if (typeof child === 'object' && child !== null)
        stack.push({ value: child, path: path ? `${path}.${key}` : key });
    }
  }
  return undefined;
}

/**
 * The API's JSON body parser: any content type, any JSON value at the top, at most `limit` bytes, and
 * refused (400 InvalidInput) when an object holds a key `__proto__`, which nothing here could keep.
 */
export function jsonBody(limit: number): RequestHandler {
  const parse = express.json({ limit, strict: false, type: () => true });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (err !== undefined) return next(err);
      const path = protoKeyPath(req.body);
      if (path === undefined) return next();
      next(
        new HttpError(400, 'InvalidInput', `invalid body: ${path}: the key "__proto__" is not accepted`, [
          { path, message: 'the key "__proto__" is not accepted' },
        ]),
      );
    });
  };
}
