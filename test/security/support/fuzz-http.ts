/**
 * The pieces of the HTTP edge fuzzer (test/security/fuzz-edges.test.ts): hostile values, JSON bodies
 * that JSON.stringify cannot write (a key `__proto__`, a key twice, 1e309), mutations of a valid request,
 * and a client that sends exactly what it is given and reads whatever comes back.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { text as readText } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

/**
 * A JSON document as a tree. An object is a list of entries, so it can hold `__proto__` as an own key
 * or one key twice; a Raw node is JSON text written as it is (`1e309`, `-0`, a thousand brackets).
 */
export type Tree = null | boolean | number | string | Raw | Obj | Tree[];
export class Raw {
  constructor(readonly text: string) {}
}
export class Obj {
  constructor(readonly entries: readonly (readonly [string, Tree])[]) {}
}

/** The tree of a value JSON.stringify can write. */
export function treeOf(value: unknown): Tree {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string')
    return value;
  if (Array.isArray(value)) return value.map(treeOf);
  if (typeof value === 'object') return new Obj(Object.entries(value).map(([k, v]) => [k, treeOf(v)]));
  throw new Error(`not JSON: ${typeof value}`);
}

export function render(tree: Tree): string {
  if (tree instanceof Raw) return tree.text;
  if (tree instanceof Obj)
    return `{${tree.entries.map(([k, v]) => `${JSON.stringify(k)}:${render(v)}`).join(',')}}`;
  if (Array.isArray(tree)) return `[${tree.map(render).join(',')}]`;
  return JSON.stringify(tree);
}

/** Where a node sits: at each level the index into an array, or into an object's entries. */
type Path = readonly number[];

function paths(tree: Tree, at: Path = []): Path[] {
  const children: Tree[] =
    tree instanceof Obj ? tree.entries.map(([, v]) => v) : Array.isArray(tree) ? tree : [];
  return [at, ...children.flatMap((child, i) => paths(child, [...at, i]))];
}

/** The tree with the node at `path` replaced by what `change` makes of it (undefined: removed). */
function changeAt(tree: Tree, path: Path, change: (node: Tree) => Tree | undefined): Tree | undefined {
  const [step, ...rest] = path;
  if (step === undefined) return change(tree);
  const apply = <T>(items: readonly T[], get: (t: T) => Tree, set: (t: T, v: Tree) => T): T[] =>
    items.flatMap((item, i) => {
      if (i !== step) return [item];
      const changed = changeAt(get(item), rest, change);
      return changed === undefined ? [] : [set(item, changed)];
    });
  if (tree instanceof Obj)
    return new Obj(
      apply(
        tree.entries,
        ([, v]) => v,
        ([k], v) => [k, v] as const,
      ),
    );
  if (Array.isArray(tree))
    return apply(
      tree,
      (v) => v,
      (_, v) => v,
    );
  return tree;
}

/** One change to a valid body; `at` picks the node (modulo how many there are). */
export type Mutation =
  | { kind: 'replace' | 'add' | 'duplicate'; at: number; value: Tree; key: string }
  | { kind: 'remove' | 'wrap' | 'retype' | 'as-object'; at: number }
  | { kind: 'boundary'; at: number; pick: number };

/**
 * Values at the edges of what a field of the kind takes: times at the ends of the years Date and a
 * visibility query write, with offsets that carry them past; numbers a check may take for whole, small
 * or finite.
 */
export const BOUNDARY = {
  time: [
    '0000-01-01T00:00:00Z',
    '0000-01-01T00:00:00+23:59',
    '9999-12-31T23:59:59-23:59',
    '9999-12-31T23:59:59.999999999Z',
    '2026-12-24T09:00:00.000000000000000000001+00:00',
    '2026-12-24t09:00:00z',
  ],
  /** As JSON number literals; as query values they are text. */
  number: ['-1', '-0', '1e309', '0.5', '2147483648', '1e2'],
  /** Numbers as query text, where `0x10` and ` 1` are text a parser may still read as a number. */
  numberText: ['0x10', ' 1', '+1', '01'],
};

const TIME = /^\d{4}-\d\d-\d\dT/;

/** How many boundary values a field holding `value` has. */
function boundaries(value: Tree): number {
  if (typeof value === 'number') return BOUNDARY.number.length;
  if (typeof value === 'boolean') return 2;
  if (typeof value !== 'string') return 0;
  if (TIME.test(value)) return BOUNDARY.time.length;
  return /^\d+(\.\d+)?$/.test(value) ? BOUNDARY.number.length + BOUNDARY.numberText.length : 0;
}

function nodeAt(tree: Tree, path: Path): Tree {
  let node = tree;
  for (const step of path) {
    const next = node instanceof Obj ? node.entries[step]?.[1] : Array.isArray(node) ? node[step] : undefined;
    if (next === undefined) return node;
    node = next;
  }
  return node;
}

/** Every boundary mutation of a tree: each scalar field, with each boundary value of its kind. */
export function boundaryMutations(tree: Tree): Mutation[] {
  return paths(tree).flatMap((path, at) =>
    Array.from({ length: boundaries(nodeAt(tree, path)) }, (_, pick): Mutation => ({
      kind: 'boundary',
      at,
      pick,
    })),
  );
}

/** Every boundary value of a query value, as text. */
export function queryBoundaries(value: string): string[] {
  return Array.from({ length: boundaries(value) }, (_, pick) => {
    const edge = boundaryFor(value, pick);
    return edge instanceof Raw ? edge.text : (edge ?? value);
  });
}

/** A boundary value for a field holding `value`, or undefined for a kind that has none. */
export function boundaryFor(value: string | number | boolean, pick: number): string | Raw | undefined {
  const from = <T>(list: readonly T[]): T | undefined => list[pick % list.length];
  if (typeof value === 'number') return new Raw(from(BOUNDARY.number) ?? '0');
  if (typeof value === 'boolean') return from(['true', '']);
  if (TIME.test(value)) return from(BOUNDARY.time);
  if (/^\d+(\.\d+)?$/.test(value)) return from([...BOUNDARY.number, ...BOUNDARY.numberText]);
  return undefined;
}

function retyped(node: Tree): Tree {
  if (typeof node === 'string')
    return /^-?\d/.test(node) ? new Raw(node.replace(/[^\d.eE+-]/g, '') || '0') : 0;
  if (typeof node === 'number') return String(node);
  if (typeof node === 'boolean') return String(node);
  if (node === null) return new Obj([]);
  if (node instanceof Obj) return node.entries.map(([, v]) => v);
  if (Array.isArray(node)) return node.length === 1 ? (node[0] as Tree) : 'array';
  return String(node.text);
}

export function mutate(tree: Tree, m: Mutation): Tree | undefined {
  const all = paths(tree);
  const path = all[m.at % all.length] ?? [];
  return changeAt(tree, path, (node) => {
    switch (m.kind) {
      case 'replace':
        return m.value;
      case 'remove':
        return undefined;
      case 'wrap':
        return [node];
      case 'retype':
        return retyped(node);
      case 'boundary': {
        const scalar = typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean';
        return (scalar ? boundaryFor(node, m.pick) : undefined) ?? node;
      }
      case 'as-object':
        return Array.isArray(node) ? new Obj(node.map((v, i) => [String(i), v])) : new Obj([['value', node]]);
      case 'add':
        if (node instanceof Obj) return new Obj([...node.entries, [m.key, m.value]]);
        return Array.isArray(node) ? [...node, m.value] : m.value;
      case 'duplicate': {
        const first = node instanceof Obj ? node.entries[0] : undefined;
        return first && node instanceof Obj ? new Obj([...node.entries, [first[0], m.value]]) : node;
      }
    }
  });
}

// Large values are made once: generating megabytes per run would cost more than sending them.
const MiB = 1024 * 1024;
export const HUGE = {
  /** Past the API's 1 MiB body limit by itself. */
  overLimit: 'x'.repeat(MiB + 10),
  /** Within the limit, past every field's own. */
  large: 'é'.repeat(200_000),
  /** 6 bytes of JSON each: a value whose JSON is six times its UTF-8. */
  controls: '\u0001'.repeat(60_000),
  deep: (depth: number) => new Raw(`${'['.repeat(depth)}${']'.repeat(depth)}`),
};

/** Strings a stranger may send: empty, control characters, lone surrogates, RTL, names of Object's own. */
export const oddStrings = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\u202e\u2066evil\u2069',
  '\ufeffbom',
  '💥🔥',
  '\r\n\t',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '1e309',
  '-0',
  'NaN',
  'Infinity',
  '-1',
  '0x10',
  '9'.repeat(400),
  'null',
  'true',
  '[]',
  '{}',
  '%00',
  '%',
  '../../etc/passwd',
  '\\',
  '"',
  "'",
  '<script>alert(1)</script>',
  'javascript:alert(1)',
  '${jndi:ldap://x}',
  "' OR 1=1 --",
  'a'.repeat(2001),
  '2026-12-24T09:00:00Z',
  '0000-01-01T00:00:00Z',
  '0000-01-01T00:00:00+23:59',
  '9999-12-31T23:59:59-23:59',
];

const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...oddStrings) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: surrogate, minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(HUGE.large, HUGE.controls) },
);

export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', '__defineGetter__', ''),
  hostileText,
);

const specialNumber = fc
  .constantFrom(
    '1e309',
    '-1e309',
    '-0',
    '1e-400',
    '123456789012345678901234567890',
    '0.1',
    '-1',
    '9007199254740993',
  )
  .map((text) => new Raw(text));

/** Any JSON value, scalars weighted heavily, nested a little. */
export const hostileTree: fc.Arbitrary<Tree> = fc.letrec<{ value: Tree; array: Tree[]; object: Obj }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 4, arbitrary: hostileText },
      { weight: 2, arbitrary: specialNumber },
      { weight: 1, arbitrary: fc.constantFrom<Tree>(null, true, false, 0, -1, 2 ** 53) },
      { weight: 1, arbitrary: fc.double().map((n): Tree => (Number.isFinite(n) ? n : new Raw('1e309'))) },
      { weight: 1, arbitrary: tie('array') },
      { weight: 1, arbitrary: tie('object') },
    ),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 4 }).map((entries) => new Obj(entries)),
  }),
)['value'];

const mutationValue: fc.Arbitrary<Tree> = fc.oneof(
  { weight: 8, arbitrary: hostileTree },
  { weight: 1, arbitrary: fc.constantFrom<Tree>(HUGE.deep(40), HUGE.deep(5000)) },
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('replace', 'add', 'duplicate'),
    at: fc.nat(),
    value: mutationValue,
    key: hostileKey,
  }),
  fc.record({ kind: fc.constantFrom('remove', 'wrap', 'retype', 'as-object'), at: fc.nat() }),
  fc.record({ kind: fc.constant('boundary'), at: fc.nat(), pick: fc.nat() }),
);

/** A whole body in place of the one the operation takes. */
export interface WholeBody {
  bytes: Buffer;
  headers?: [string, string][];
  what: string;
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const bomb = gzipSync(Buffer.alloc(20 * MiB, 0x20));

/** Bodies that are not the shape asked for, whatever the operation: not JSON, not UTF-8, too big. */
export function wholeBodies(valid: string): fc.Arbitrary<WholeBody> {
  return fc.oneof<fc.Arbitrary<WholeBody>[]>(
    hostileTree.map((t) => ({ bytes: utf8(render(t)), what: 'another JSON value' })),
    fc
      .constantFrom(
        '{',
        '}',
        "{'a':1}",
        '[1,]',
        '{"a":1,}',
        'NaN',
        'undefined',
        '// c\n{}',
        '\u0000',
        'a=b&c=d',
      )
      .map((text) => ({ bytes: utf8(text), what: 'not JSON' })),
    fc
      .constantFrom(40, 100_000)
      .map((depth) => ({ bytes: utf8(HUGE.deep(depth).text), what: `nested ${depth}` })),
    fc.constant({ bytes: utf8(JSON.stringify([HUGE.overLimit])), what: 'over the body limit' }),
    fc.constant({
      bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid, 'utf16le')]),
      what: 'UTF-16 with a BOM',
    }),
    fc.constant({ bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(valid)]), what: 'UTF-8 BOM' }),
    fc.constant({
      bytes: Buffer.concat([
        utf8(valid.slice(0, -1)),
        Buffer.from([0xff, 0xc0, 0x80]),
        utf8(valid.slice(-1)),
      ]),
      what: 'invalid UTF-8',
    }),
    fc.constant({
      bytes: gzipSync(utf8(valid)),
      headers: [['content-encoding', 'gzip']],
      what: 'gzip',
    }),
    fc.constant({ bytes: bomb, headers: [['content-encoding', 'gzip']], what: 'gzip bomb (20 MiB)' }),
    fc.constantFrom('gzip', 'br', 'deflate', 'x-unknown', 'gzip, gzip').map((encoding): WholeBody => ({
      bytes: utf8(valid),
      headers: [['content-encoding', encoding]],
      what: `claims ${encoding}`,
    })),
    fc.constant({ bytes: Buffer.alloc(0), what: 'empty' }),
  );
}

/** Header abuse: content types, charsets, tokens, and headers no operation reads. */
export function headerAbuse(tokens: { valid: string; readOnly: string }): fc.Arbitrary<[string, string][]> {
  const contentType = fc.constantFrom(
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16le',
    'application/json; charset=latin1',
    'application/json; charset=',
    'application/json;;;charset=utf-8;charset=utf-16',
    `application/json; x=${'y'.repeat(8000)}`,
    '*/*',
    '\t',
  );
  const authorization = fc.constantFrom(
    '',
    'Bearer',
    'Bearer  ',
    `Bearer ${tokens.valid} extra`,
    `Basic ${Buffer.from(`x:${tokens.valid}`).toString('base64')}`,
    `bearer ${tokens.valid}`,
    `Bearer ${tokens.readOnly}`,
    `Bearer ${'a'.repeat(10_000)}`,
    'Bearer \u00ff\u00fe',
    'Bearer __proto__',
  );
  return fc.oneof(
    contentType.map((v): [string, string][] => [['content-type', v]]),
    authorization.map((v): [string, string][] => [['authorization', v]]),
    fc.constant<[string, string][]>([
      ['authorization', `Bearer ${tokens.readOnly}`],
      ['authorization', `Bearer ${tokens.valid}`],
    ]),
    fc
      .constantFrom(
        'x-namespace',
        'origin',
        'accept',
        'x-forwarded-for',
        'cookie',
        'expect',
        'accept-encoding',
      )
      .chain((name) =>
        fc
          .constantFrom(
            '',
            'null',
            '\u00ff',
            'a'.repeat(8000),
            'application/json, */*;q=x',
            '100-continue',
            'evil',
          )
          .map((v): [string, string][] => [[name, v]]),
      ),
  );
}

/**
 * Percent-encoded UTF-8, as encodeURIComponent but for any string: a lone surrogate (which it refuses)
 * goes as the replacement character, as a browser would send it.
 */
export function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/** Path segments no operation takes: raw percent signs, dots, NUL, overlong UTF-8, too long. */
export const rawSegment = fc.constantFrom(
  '%',
  '%zz',
  '%00',
  '%C0%AF',
  '%E0%A4%A',
  '%ED%A0%80',
  '.',
  '..',
  '%2e%2e',
  'a%2Fb',
  '%5C..%5C',
  'x'.repeat(300),
  'x'.repeat(5000),
  'x'.repeat(20_000),
);

/** Query pairs added to a valid query string, as written on the wire (not encoded again). */
export const rawQueryPairs = fc.constantFrom(
  '__proto__=x',
  '__proto__[polluted]=1',
  'constructor=x',
  'constructor[prototype][polluted]=1',
  'limit[]=1',
  'a[b]=c',
  '%=1',
  'x=%zz',
  'x=%E0%A4%A',
  'x=%ED%A0%80',
  'service=%ED%A0%80',
  '&&&',
  '=',
  'novalue',
  `big=${'y'.repeat(10_000)}`,
  `big=${'y'.repeat(20_000)}`,
);

/** A Host header's value that `send` writes as the server's own host and port. */
export const HOST = '{host}';

/** One request, exactly as it goes on the wire; printed short when fast-check reports it. */
export class FuzzRequest {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly headers: readonly (readonly [string, string])[],
    readonly body: Buffer | undefined,
    readonly abuse: readonly string[],
  ) {}

  [fc.toStringMethod](): string {
    const body = this.body ? this.body.toString('utf8') : '';
    const shown = body.length > 400 ? `${body.slice(0, 400)}… (${this.body?.length} bytes)` : body;
    const headers = this.headers.map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}…` : v}`);
    const path = this.path.length > 300 ? `${this.path.slice(0, 300)}… (${this.path.length})` : this.path;
    return `${this.method} ${path}\n${headers.join('\n')}\n\n${JSON.stringify(shown)}\n[${this.abuse.join('; ')}]`;
  }
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * Sends the request as it is; a fresh connection each time, so a server that closes one after a refusal
 * does not fail the next. A connection closed before any answer resolves with status 0.
 */
export function send(base: string, r: FuzzRequest, timeoutMs = 20_000): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: r.method,
        path: r.path,
        headers: r.headers.flatMap(([k, v]) => [k, v === HOST ? url.host : v]),
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        readText(res).then(
          (text) => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }),
          reject,
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server answered and closed while the body was still going out: the answer came first.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET')
        resolve({ status: 0, headers: {}, text: err.code });
      else reject(err);
    });
    req.end(r.body);
  });
}

/** A request as raw bytes, for what an HTTP client will not send: broken request lines, framing, headers. */
export interface RawRequest {
  bytes: Buffer;
  what: string;
  [fc.toStringMethod](): string;
}

const CRLF = '\r\n';

/**
 * Raw requests to `target` (a path and, for a POST, its valid JSON body), each broken in one or two
 * ways, with the Host and token given; every one is whole, so the server can tell where it ends.
 */
export function rawRequests(
  targets: readonly { method: string; path: string; body?: string }[],
  token: string,
): fc.Arbitrary<RawRequest> {
  const line = fc.constantFrom(
    (t: { method: string; path: string }) => `${t.method} ${t.path} HTTP/1.1`,
    () => 'GARBAGE',
    () => 'GET / HTTP/9.9',
    (t: { method: string; path: string }) => `${t.method} ${t.path} HTTP/1.1 extra`,
    (t: { method: string; path: string }) => `${t.method} ${t.path}\u0000 HTTP/1.1`,
    (t: { method: string; path: string }) => `${t.method.toLowerCase()} ${t.path} HTTP/1.1`,
    (t: { method: string; path: string }) => `${t.method} http://evil.example${t.path} HTTP/1.1`,
    () => 'OPTIONS * HTTP/1.1',
    () => 'CONNECT 127.0.0.1:22 HTTP/1.1',
    () => 'PRI * HTTP/2.0',
    (t: { method: string; path: string }) => `${t.method} ${t.path} HTTP/1.0`,
  );
  const header = fc.constantFrom(
    'Bad Header: x',
    'X-A: a\rb',
    'X-A:\u0000',
    ' folded: x',
    'Content-Length: -1',
    'Content-Length: 1, 2',
    'Content-Length: 99999999999999999999',
    'Transfer-Encoding: gzip',
    'Transfer-Encoding: chunked, identity',
    `X-Big: ${'x'.repeat(20_000)}`,
    Array.from({ length: 200 }, (_, i) => `X-${i}: ${i}`).join(CRLF),
    'Expect: evil',
    'Upgrade: h2c',
    'Host: second.example',
    `Authorization: Bearer ${'a'.repeat(9000)}`,
  );
  const framing = fc.constantFrom('length', 'chunked', 'bad-chunk', 'length-and-chunked', 'chunk-extension');
  const after = fc.constantFrom(
    '',
    `GARBAGE${CRLF}${CRLF}`,
    `GET /api/v1/health HTTP/1.1${CRLF}Host: x${CRLF}${CRLF}`,
  );
  return fc
    .record({
      target: fc.constantFrom(...targets),
      line,
      headers: fc.array(header, { maxLength: 2 }),
      framing,
      after,
    })
    .map(({ target, line, headers, framing, after }) => {
      const body = target.body ?? '';
      const framed: Record<string, [string[], string]> = {
        length: [[`Content-Length: ${Buffer.byteLength(body)}`], body],
        chunked: [
          ['Transfer-Encoding: chunked'],
          `${Buffer.byteLength(body).toString(16)}${CRLF}${body}${CRLF}0${CRLF}${CRLF}`,
        ],
        'bad-chunk': [['Transfer-Encoding: chunked'], `zz${CRLF}${body}${CRLF}0${CRLF}${CRLF}`],
        'length-and-chunked': [['Transfer-Encoding: chunked', 'Content-Length: 3'], `0${CRLF}${CRLF}`],
        'chunk-extension': [
          ['Transfer-Encoding: chunked'],
          `1;${'x'.repeat(20_000)}${CRLF}a${CRLF}0${CRLF}${CRLF}`,
        ],
      };
      const [framingHeaders, payload] = framed[framing] ?? [[], ''];
      const head = [
        line(target),
        'Host: 127.0.0.1',
        `Authorization: Bearer ${token}`,
        'Content-Type: application/json',
        'Connection: close',
        ...framingHeaders,
        ...headers,
      ].join(CRLF);
      const text = `${head}${CRLF}${CRLF}${payload}${after}`;
      const what = `${target.method} ${target.path}: ${framing}, ${headers.length} odd headers${after ? ', then more' : ''}`;
      return {
        bytes: Buffer.from(text, 'latin1'),
        what,
        [fc.toStringMethod]: () =>
          `${what}\n${JSON.stringify(text.length > 600 ? `${text.slice(0, 600)}…` : text)}`,
      };
    });
}

/** Writes the bytes, reads until the server closes (or `timeoutMs`), and answers what came back. */
export function sendRaw(
  port: number,
  bytes: Buffer,
  timeoutMs = 5000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    socket.write(bytes);
  });
}

/** The answers in a raw reply: each status, its head and what follows up to the next answer. */
export function rawAnswers(text: string): { status: number; head: string; body: string }[] {
  return text
    .split(/(?=^HTTP\/1\.[01] \d{3} )/m)
    .filter((part) => /^HTTP\/1\.[01] \d{3} /.test(part))
    .map((part) => {
      const at = part.indexOf(`${CRLF}${CRLF}`);
      const head = at < 0 ? part : part.slice(0, at);
      return { status: Number(part.slice(9, 12)), head, body: at < 0 ? '' : part.slice(at + 4) };
    });
}
