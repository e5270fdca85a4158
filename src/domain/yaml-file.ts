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
