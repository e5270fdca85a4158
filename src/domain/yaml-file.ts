import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';

/** One problem of a configuration file, where a person can find it. */
export interface FileProblem {
  file: string;
  line: number;
  field: string;
  message: string;
}

/** A file's problems, one `file:line: field: message` line each. */
export class FileProblemsError extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}: ${p.field}: ${p.message}`).join('\n'));
    this.name = 'FileProblemsError';
  }
}

/** The line of the deepest node of `path` that exists, so a missing field points at its parent. */
function lineOf(doc: ReturnType<typeof parseDocument>, path: PropertyKey[], counter: LineCounter): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as (string | number)[], true) as Node | undefined;
    const offset = node && (isMap(node) || isSeq(node) || 'range' in node) ? node.range?.[0] : undefined;
    if (offset !== undefined) return counter.linePos(offset).line;
  }
  return 1;
}

/** Nesting no runbook, tokens or watch file comes near. */
export const MAX_YAML_DEPTH = 64;

/**
 * The line where the text may nest deeper than MAX_YAML_DEPTH, or undefined. The parser recurses once a
 * level, so 130,000 brackets (256 KiB) held the event loop for 1.4 s before its stack overflowed: a
 * reader could stall the API with POST /runbooks/validate. Counted before parsing, as an upper bound:
 * open flow brackets (outside quoted scalars, which may span lines, and comments) plus the indentation
 * levels and sequence dashes of the line. It may overcount (a `[` inside a plain scalar), never under.
 */
export function tooDeepAt(text: string): number | undefined {
  const indents: number[] = [];
  const scan = { brackets: 0, quote: undefined as string | undefined };
  let line = 0;
  for (const raw of text.split('\n')) {
    line++;
    let depth = scan.brackets;
    if (scan.quote === undefined) {
      const indent = raw.length - raw.trimStart().length;
      const body = raw.slice(indent);
      if (body === '' || body.startsWith('#')) continue;
      while (indents.length > 0 && (indents.at(-1) ?? 0) >= indent) indents.pop();
      indents.push(indent);
      depth = indents.length + (/^(?:[-?:][ \t]+)*/.exec(body)?.[0].replace(/[ \t]/g, '').length ?? 0);
    }
    if (bracketsExceed(raw, scan, MAX_YAML_DEPTH - depth)) return line;
  }
  return undefined;
}

/** Follows brackets and quotes through one line; true once open brackets pass `room`. */
function bracketsExceed(
  raw: string,
  scan: { brackets: number; quote: string | undefined },
  room: number,
): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (scan.quote === '"') {
      if (c === '\\') i++;
      else if (c === '"') scan.quote = undefined;
      continue;
    }
    if (scan.quote === "'") {
      if (c === "'" && raw[i + 1] === "'") i++;
      else if (c === "'") scan.quote = undefined;
      continue;
    }
    // A quote opens a scalar only where a scalar starts (`a'b` is plain text); `#` starts a comment after a space.
    const starts = i === 0 || /[\s[{,:?-]/.test(raw[i - 1] ?? '');
    if ((c === '"' || c === "'") && starts) scan.quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(raw[i - 1] ?? ''))) return false;
    else if (c === '[' || c === '{') scan.brackets++;
    else if ((c === ']' || c === '}') && scan.brackets > 0) scan.brackets--;
    if (scan.brackets > room) return true;
  }
  return false;
}

/**
 * Parses a YAML file and validates it with `schema`. Every YAML error and every schema issue becomes a
 * problem with its line, thrown through `fail` (each kind of file has its own error class); `whole`
 * names the field of an issue about the whole document, and `empty` stands in for an empty file.
 */
export function parseYamlFile<T>(
  file: string,
  text: string,
  schema: z.ZodType<T>,
  options: { fail: (problems: FileProblem[]) => Error; whole: string; empty?: unknown },
): T {
  const deep = tooDeepAt(text);
  if (deep !== undefined) {
    throw options.fail([
      {
        file,
        line: deep,
        field: '(yaml)',
        message: `nested more than ${MAX_YAML_DEPTH} levels deep; no configuration here needs that`,
      },
    ]);
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw options.fail(
      doc.errors.map((e) => ({
        file,
        line: counter.linePos(e.pos[0]).line,
        field: '(yaml)',
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  const parsed: unknown = doc.toJS();
  const result = schema.safeParse(parsed ?? options.empty);
  if (result.success) return result.data;
  throw options.fail(
    result.error.issues.map((issue) => ({
      file,
      line: lineOf(doc, issue.path, counter),
      field: issue.path.length > 0 ? issue.path.join('.') : options.whole,
      message: issue.message,
    })),
  );
}
