import express, { type RequestHandler } from 'express';
import { HttpError } from './errors.js';

/**
 * Where in a parsed JSON body a key `__proto__` sits (such as `alerts.0.labels`), or undefined. JSON.parse
 * keeps it as an own key, but any object built from it by assignment (zod's records among them) drops
 * it without a word: a label named so vanished from the alert, and two alerts differing only in it became
 * one. Walked with a stack, not recursion, so no nesting depth overflows it; each entry names its parent
 * and key, and the path is spelled only for the key found (spelled at every level, a deep body cost time
 * quadratic in its depth).
 */
export function protoKeyPath(body: unknown): string | undefined {
  const stack: Walked[] = [{ value: body, key: '' }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (!Array.isArray(value) && Object.hasOwn(value, '__proto__')) return pathOf(item) || '(body)';
    for (const [key, child] of Object.entries(value)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, key, parent: item });
    }
  }
  return undefined;
}

/** A value met in the walk, with the key it sits under and what holds it (none at the top). */
type Walked = { value: unknown; key: string; parent?: Walked };

function pathOf(item: Walked): string {
  const keys: string[] = [];
  for (let at: Walked = item; at.parent !== undefined; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
}

/** Deeper than any body the API takes (an alert's labels sit at depth 4). */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether the raw JSON text nests arrays and objects deeper than `max`, read before it is parsed: 1 MiB
 * of `[` took JSON.parse half a second, the API's one thread held for each such request. Brackets inside
 * strings do not count; the text need not be valid JSON (the parser says so afterwards).
 */
export function nestsDeeperThan(text: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next byte is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * The charset a Content-Type names, lower-cased, or undefined. Only this one parameter is read, so a
 * regular expression does; a library would parse the whole header only to be asked the same.
 */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType ?? '');
  return match?.[1] ? match[1].toLowerCase() : undefined;
}

/**
 * The API's JSON body parser: any content type, any JSON value at the top, at most `limit` bytes and
 * MAX_JSON_DEPTH levels, and refused (400 InvalidInput) when an object holds a key `__proto__`, which
 * nothing here could keep. UTF-8 only (RFC 8259 asks no other of JSON between systems; 415 otherwise):
 * the depth is read from the raw bytes before they are decoded, and in UTF-7 a bracket is not its byte,
 * so a megabyte of nesting in UTF-7 passed the check and held the API's thread for half a second.
 */
export function jsonBody(limit: number): RequestHandler {
  const parse = express.json({
    limit,
    strict: false,
    type: () => true,
    // Thrown here, the HttpError reaches the error handler as it is (body-parser keeps its status).
    verify: (_req, _res, buffer) => {
      if (!nestsDeeperThan(buffer, MAX_JSON_DEPTH)) return;
      const message = `the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`;
      throw new HttpError(400, 'InvalidInput', `invalid body: ${message}`, [{ path: '(body)', message }]);
    },
  });
  return (req, res, next) => {
    const charset = charsetOf(req.headers['content-type']);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      const message = `the body's charset is ${JSON.stringify(charset.slice(0, 40))}: JSON is read as UTF-8 only (send charset=utf-8, or none)`;
      return next(new HttpError(415, 'UnsupportedCharset', message, [{ path: '(body)', message }]));
    }
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
