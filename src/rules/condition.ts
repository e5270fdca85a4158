/**
 * The condition of an escalation rule: a small boolean language over an incident's labels, e.g.
 * `severity == "critical" AND service in ["checkout", "payments"]`.
 *
 * Why a hand-written grammar and not an npm expression parser such as jsep: jsep parses all of
 * JavaScript's expression syntax (calls, members, arithmetic), which an evaluator would then have to
 * refuse node by node, and its word operators (AND, OR) are added to a table shared by the whole
 * process. The language here has six constructs; a recursive-descent parser of ~150 lines accepts
 * exactly them, reports the column of the first problem, and bounds size and depth itself. Nothing is
 * ever evaluated as code (no eval, no Function). Pure and import-free, so workflow code may use it.
 *
 * Grammar (keywords are case-insensitive):
 *   condition  := or
 *   or         := and (("OR" | "||") and)*
 *   and        := not (("AND" | "&&") not)*
 *   not        := ("NOT" | "!") not | "(" or ")" | comparison
 *   comparison := label ("==" | "!=") string | label ["NOT"] "IN" "[" string ("," string)* "]"
 *   label      := [A-Za-z_][A-Za-z0-9_]*            (a Prometheus label name)
 *   string     := "..." | '...'                     (escapes: \" \' \\ \n \t)
 * A label the incident lacks compares as the empty string, as in Prometheus's matchers.
 */

export type Condition =
  | { kind: 'compare'; label: string; op: '==' | '!='; value: string }
  | { kind: 'in'; label: string; values: string[]; negated: boolean }
  | { kind: 'and' | 'or'; of: Condition[] }
  | { kind: 'not'; of: Condition };

/** Limits on what a condition may be: enough for any real rule, small enough to check in microseconds. */
export const CONDITION_LIMITS = {
  chars: 2000,
  depth: 16,
  comparisons: 64,
  listItems: 100,
  stringChars: 256,
  labelChars: 128,
} as const;

/** A condition that does not parse: `position` is the 0-based offset of the problem, `column` 1-based. */
export class ConditionError extends Error {
  readonly column: number;
  constructor(
    readonly position: number,
    readonly reason: string,
  ) {
    super(`at column ${position + 1}: ${reason}`);
    this.name = 'ConditionError';
    this.column = position + 1;
  }
}

type Token =
  | { type: 'label' | 'string'; text: string; at: number }
  | { type: 'op'; text: '==' | '!=' | '&&' | '||' | '!' | '(' | ')' | '[' | ']' | ','; at: number }
  | { type: 'word'; text: 'and' | 'or' | 'not' | 'in'; at: number }
  | { type: 'end'; at: number };

const WORDS = new Set(['and', 'or', 'not', 'in']);
const OPS = ['==', '!=', '&&', '||', '!', '(', ')', '[', ']', ','] as const;
const ESCAPES: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', n: '\n', t: '\t' };

function readString(text: string, start: number): { value: string; end: number } {
  const quote = text[start];
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i] as string;
    if (c === quote) return { value, end: i + 1 };
    if (c === '\\') {
      const escaped = ESCAPES[text[i + 1] ?? ''];
      if (escaped === undefined)
        throw new ConditionError(i, 'unknown escape in a string (use \\" \\\' \\\\ \\n \\t)');
      value += escaped;
      i++;
    } else value += c;
    if (value.length > CONDITION_LIMITS.stringChars)
      throw new ConditionError(start, `a string longer than ${CONDITION_LIMITS.stringChars} characters`);
  }
  throw new ConditionError(start, 'a string that is never closed');
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      const { value, end } = readString(text, i);
      tokens.push({ type: 'string', text: value, at: i });
      i = end;
    } else if (/[A-Za-z_]/.test(c)) {
      const word =
        /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + CONDITION_LIMITS.labelChars + 1))?.[0] ?? c;
      if (word.length > CONDITION_LIMITS.labelChars)
        throw new ConditionError(i, `a label name longer than ${CONDITION_LIMITS.labelChars} characters`);
      const lower = word.toLowerCase();
      if (WORDS.has(lower)) tokens.push({ type: 'word', text: lower as 'and', at: i });
      else tokens.push({ type: 'label', text: word, at: i });
      i += word.length;
    } else {
      // `===`, `=~`, `<=`: named whole, not as `==` followed by a stray character.
      const run = /^[=!<>~]+/.exec(text.slice(i, i + 8))?.[0] ?? '';
      if (/[=<>~]/.test(run) && run !== '==' && run !== '!=')
        throw new ConditionError(i, `unknown operator ${JSON.stringify(run)}: use ==, !=, in, AND, OR, NOT`);
      const op = OPS.find((o) => text.startsWith(o, i));
      if (!op) {
        const shown = /^[=<>~+\-*/%&|^.?:]+/.exec(text.slice(i))?.[0] ?? c;
        throw new ConditionError(
          i,
          `unknown operator ${JSON.stringify(shown)}: use ==, !=, in, AND, OR, NOT`,
        );
      }
      tokens.push({ type: 'op', text: op, at: i });
      i += op.length;
    }
  }
  tokens.push({ type: 'end', at: text.length });
  return tokens;
}

const describe = (t: Token): string =>
  t.type === 'end' ? 'the end' : t.type === 'string' ? `the string ${JSON.stringify(t.text)}` : `"${t.text}"`;

class Parser {
  private i = 0;
  private depth = 0;
  private comparisons = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }
  private next(): Token {
    return this.tokens[this.i++] as Token;
  }
  private is(...texts: string[]): boolean {
    const t = this.peek();
    return (t.type === 'op' || t.type === 'word') && texts.includes(t.text);
  }
  private expect(text: string, what: string): Token {
    const t = this.next();
    if ((t.type === 'op' || t.type === 'word') && t.text === text) return t;
    throw new ConditionError(t.at, `expected ${what}, found ${describe(t)}`);
  }

  parse(): Condition {
    const condition = this.or();
    const rest = this.peek();
    if (rest.type !== 'end')
      throw new ConditionError(rest.at, `expected AND, OR or the end, found ${describe(rest)}`);
    return condition;
  }

  private or(): Condition {
    const of = [this.and()];
    while (this.is('or', '||')) {
      this.next();
      of.push(this.and());
    }
    return of.length === 1 ? (of[0] as Condition) : { kind: 'or', of };
  }

  private and(): Condition {
    const of = [this.not()];
    while (this.is('and', '&&')) {
      this.next();
      of.push(this.not());
    }
    return of.length === 1 ? (of[0] as Condition) : { kind: 'and', of };
  }

  private not(): Condition {
    const t = this.peek();
    if ((t.type === 'op' || t.type === 'word') && ['not', '!', '('].includes(t.text)) {
      if (++this.depth > CONDITION_LIMITS.depth)
        throw new ConditionError(t.at, `nested deeper than ${CONDITION_LIMITS.depth} levels`);
      this.next();
      const inner = t.text === '(' ? this.or() : this.not();
      if (t.text === '(') this.expect(')', '")"');
      this.depth--;
      return t.text === '(' ? inner : { kind: 'not', of: inner };
    }
    return this.comparison();
  }

  private comparison(): Condition {
    const label = this.next();
    if (label.type !== 'label')
      throw new ConditionError(label.at, `expected a label name, found ${describe(label)}`);
    if (++this.comparisons > CONDITION_LIMITS.comparisons)
      throw new ConditionError(label.at, `more than ${CONDITION_LIMITS.comparisons} comparisons`);
    const op = this.next();
    if (op.type === 'op' && (op.text === '==' || op.text === '!=')) {
      return { kind: 'compare', label: label.text, op: op.text, value: this.string() };
    }
    const negated = op.type === 'word' && op.text === 'not';
    if (negated) this.expect('in', '"in" after "not"');
    else if (!(op.type === 'word' && op.text === 'in'))
      throw new ConditionError(op.at, `expected ==, != or in after ${label.text}, found ${describe(op)}`);
    return { kind: 'in', label: label.text, values: this.list(), negated };
  }

  private string(): string {
    const t = this.next();
    if (t.type !== 'string') throw new ConditionError(t.at, `expected a quoted string, found ${describe(t)}`);
    return t.text;
  }

  private list(): string[] {
    const open = this.expect('[', '"[" to start a list');
    const values = [this.string()];
    while (this.is(',')) {
      this.next();
      values.push(this.string());
      if (values.length > CONDITION_LIMITS.listItems)
        throw new ConditionError(open.at, `a list of more than ${CONDITION_LIMITS.listItems} strings`);
    }
    this.expect(']', '"," or "]"');
    return values;
  }
}

/** Parses a condition, or throws a ConditionError saying where and why it does not parse. */
export function parseCondition(text: string): Condition {
  if (typeof text !== 'string') throw new ConditionError(0, 'the condition must be text');
  if (text.length > CONDITION_LIMITS.chars)
    throw new ConditionError(CONDITION_LIMITS.chars, `longer than ${CONDITION_LIMITS.chars} characters`);
  if (text.trim() === '') throw new ConditionError(0, 'the condition is empty');
  return new Parser(tokenize(text)).parse();
}

/**
 * Whether labels satisfy a condition. Only the labels' own keys are read, so a condition naming
 * __proto__ or constructor sees an absent label, never something inherited.
 */
export function evaluate(condition: Condition, labels: Readonly<Record<string, string>>): boolean {
  const value = (label: string): string => (Object.hasOwn(labels, label) ? String(labels[label]) : '');
  switch (condition.kind) {
    case 'compare':
      return (value(condition.label) === condition.value) === (condition.op === '==');
    case 'in':
      return condition.values.includes(value(condition.label)) !== condition.negated;
    case 'and':
      return condition.of.every((c) => evaluate(c, labels));
    case 'or':
      return condition.of.some((c) => evaluate(c, labels));
    case 'not':
      return !evaluate(condition.of, labels);
  }
}
