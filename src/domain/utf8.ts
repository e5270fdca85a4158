/**
 * Sizes in bytes, as Temporal and HTTP count them: JavaScript's `length` counts UTF-16 code units, so
 * 700 × "€" is 700 long but 2,100 bytes of UTF-8. Pure (no Node imports): workflows use it too.
 */

/** What a cut value ends with, so a reader sees that text is missing. */
export const CUT_MARKER = '…(cut)';

/** Bytes of one code point in UTF-8; a lone surrogate is written as U+FFFD (3 bytes). */
function utf8Bytes(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

/** Bytes of one code point inside a JSON string, as JSON.stringify writes it (UTF-8 after that). */
function jsonBytes(codePoint: number): number {
  if (codePoint === 0x22 || codePoint === 0x5c) return 2; // \" and \\
  if (codePoint < 0x20) return [0x08, 0x09, 0x0a, 0x0c, 0x0d].includes(codePoint) ? 2 : 6; // \n, \u0001
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return 6; // a lone surrogate: \udxxx
  return utf8Bytes(codePoint);
}

/**
 * Walks the text's code points (a lone surrogate is one), calling `visit` with each one's size and the
 * index after it until `visit` says stop. A charCodeAt loop: the string iterator is far slower, and this
 * runs over every alert a signal brings.
 */
function walk(
  text: string,
  bytesOf: (codePoint: number) => number,
  visit: (bytes: number, end: number) => boolean,
): void {
  for (let i = 0; i < text.length;) {
    const unit = text.charCodeAt(i);
    const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
    const pair = unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
    const codePoint = pair ? 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00) : unit;
    i += pair ? 2 : 1;
    if (!visit(bytesOf(codePoint), i)) return;
  }
}

function measure(text: string, bytesOf: (codePoint: number) => number): number {
  let total = 0;
  walk(text, bytesOf, (bytes) => {
    total += bytes;
    return true;
  });
  return total;
}

/** The text's size in UTF-8 (a loop of its own: it runs over every alert a signal brings). */
export function utf8Length(text: string): number {
  let total = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) total += 1;
    else if (unit < 0x800) total += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        total += 4;
        i++;
      } else total += 3;
    } else total += 3;
  }
  return total;
}

/** The size of JSON.stringify(text) in UTF-8, quotes included: what a JSON payload holds. */
export function jsonStringLength(text: string): number {
  return measure(text, jsonBytes) + 2;
}

/** The size of any JSON value once encoded as UTF-8. */
export function jsonLength(value: unknown): number {
  return utf8Length(JSON.stringify(value) ?? '');
}

const measured = new WeakMap<object, number>();

/**
 * jsonLength of an object that is never changed in place, measured once: the bounded states (lessons,
 * ledger entries) are measured at every change, and most of their items are the same objects as before.
 */
export function jsonLengthOnce(value: object): number {
  let bytes = measured.get(value);
  if (bytes === undefined) {
    bytes = jsonLength(value);
    measured.set(value, bytes);
  }
  return bytes;
}

/**
 * The newest items (the end of the list) whose JSON fits in `budget` bytes, measured from the newest back
 * so only what is kept is measured; the newest is always kept. Items must never change in place (see
 * jsonLengthOnce).
 */
export function newestWithin<T extends object>(items: T[], budget: number): T[] {
  let left = budget;
  let from = items.length;
  while (from > 0) {
    const item = items[from - 1];
    left -= item === undefined ? 0 : jsonLengthOnce(item);
    if (left < 0 && from < items.length) break;
    from--;
  }
  return from === 0 ? items : items.slice(from);
}

/** The longest prefix of `text`, whole characters only, whose size by `bytesOf` is at most `max`. */
function prefixWithin(text: string, max: number, bytesOf: (codePoint: number) => number): string {
  let total = 0;
  let end = 0;
  walk(text, bytesOf, (bytes, after) => {
    total += bytes;
    if (total > max) return false;
    end = after;
    return true;
  });
  return text.slice(0, end);
}

/**
 * `text` as it is when it fits in `maxBytes` of UTF-8; otherwise cut at a character boundary and ended
 * with `marker`, the whole still within `maxBytes`.
 */
export function cutUtf8(text: string, maxBytes: number, marker = CUT_MARKER): string {
  if (utf8Length(text) <= maxBytes) return text;
  const markerBytes = utf8Length(marker);
  if (markerBytes > maxBytes) return prefixWithin(text, maxBytes, utf8Bytes);
  return prefixWithin(text, maxBytes - markerBytes, utf8Bytes) + marker;
}

/**
 * `text` as it is when JSON.stringify(text) fits in `maxBytes`; otherwise cut at a character boundary
 * and ended with `marker`, so that its JSON encoding, quotes included, is within `maxBytes`.
 */
export function cutJsonString(text: string, maxBytes: number, marker = '…'): string {
  if (jsonStringLength(text) <= maxBytes) return text;
  const room = maxBytes - 2;
  const markerBytes = measure(marker, jsonBytes);
  if (markerBytes > room) return prefixWithin(text, Math.max(room, 0), jsonBytes);
  return prefixWithin(text, room - markerBytes, jsonBytes) + marker;
}

/**
 * The first `max` UTF-16 units of `text`, never half a character: a cut between an emoji's two halves
 * leaves a lone surrogate, which strict JSON parsers (Slack's among them, possibly) refuse, and with it
 * the whole message.
 */
export function cutText(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max).replace(/[\ud800-\udbff]$/, '');
}
