/**
 * Just enough PromQL reading to split an alert rule into the series it watches and the threshold it
 * compares against (`rate(errors[5m]) > 0.05` → series `rate(errors[5m])`, above 0.05). Anything more
 * complex than one top-level comparison with a number is left whole, with no threshold.
 */
export interface AlertCondition {
  series: string;
  threshold?: { value: number; direction: 'above' | 'below' };
}

const COMPARISON = /^(==|!=|>=|<=|>|<)/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
// PromQL keywords are case-insensitive.
const SET_OPERATOR = /^(and|or|unless)\b/i;

interface TopLevelOperator {
  index: number;
  op: string;
}

function topLevelOperators(expr: string): { comparisons: TopLevelOperator[]; hasSetOperator: boolean } {
  const comparisons: TopLevelOperator[] = [];
  let depth = 0;
  let hasSetOperator = false;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i] ?? '';
    if (ch === '"' || ch === "'" || ch === '`') {
      const close = findStringEnd(expr, i, ch);
      i = close;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (depth === 0) {
      const rest = expr.slice(i);
      const cmp = COMPARISON.exec(rest);
      if (cmp) {
        comparisons.push({ index: i, op: cmp[1] ?? '' });
        i += (cmp[1] ?? '').length - 1;
      } else if (/\s/.test(expr[i - 1] ?? ' ') && SET_OPERATOR.test(rest)) {
        hasSetOperator = true;
      }
    }
  }
  return { comparisons, hasSetOperator };
}

function findStringEnd(expr: string, start: number, quote: string): number {
  for (let j = start + 1; j < expr.length; j++) {
    if (expr[j] === '\\' && quote !== '`') j++;
    else if (expr[j] === quote) return j;
  }
  return expr.length;
}

const FLIP: Record<string, 'above' | 'below'> = { '>': 'below', '>=': 'below', '<': 'above', '<=': 'above' };
const DIRECT: Record<string, 'above' | 'below'> = {
  '>': 'above',
  '>=': 'above',
  '<': 'below',
  '<=': 'below',
};

export function parseAlertCondition(expr: string): AlertCondition {
  const trimmed = expr.trim();
  const { comparisons, hasSetOperator } = topLevelOperators(trimmed);
  const only = comparisons.length === 1 ? comparisons[0] : undefined;
  if (!only || hasSetOperator) return { series: trimmed };
  const left = trimmed.slice(0, only.index).trim();
  const right = trimmed
    .slice(only.index + only.op.length)
    .trim()
    .replace(/^bool\b\s*/i, '');
  const direct = DIRECT[only.op];
  const flipped = FLIP[only.op];
  if (NUMBER.test(right) && direct)
    return { series: left, threshold: { value: Number(right), direction: direct } };
  if (NUMBER.test(left) && flipped)
    return { series: right, threshold: { value: Number(left), direction: flipped } };
  // An equality (`up == 0`) watches the series but has no threshold to trend towards.
  if (NUMBER.test(right)) return { series: left };
  if (NUMBER.test(left)) return { series: right };
  return { series: trimmed };
}

/** The expression of a Prometheus alert's generatorURL (`…/graph?g0.expr=…`), if it has one. */
export function exprFromGeneratorURL(generatorURL: string | undefined): string | undefined {
  if (!generatorURL) return undefined;
  try {
    const expr = new URL(generatorURL).searchParams.get('g0.expr');
    return expr && expr.trim() !== '' ? expr : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One vector selector of an expression, as the set of its matchers (`__name__="x"` for a metric name),
 * sorted, each written canonically as the JSON of `[label, op, value]` so that no two differ only in
 * quoting. Two selectors with the same matchers read the same series.
 */
export type Selector = readonly string[];

const matcher = (label: string, op: string, value: string): string => JSON.stringify([label, op, value]);

type Token =
  | { kind: 'ident'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'punct'; text: string };

const IDENT = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
// Numbers, durations (`5m`, `1h30m`) and hex: a digit (or `.digit`) and what may follow it.
const NUMBER_LIKE = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[a-zA-Z0-9_]*/;
const PUNCT = /^(=~|!~|!=|==|>=|<=|[{}()[\],=<>+\-*/%^@:])/;
// Keywords followed by a list of label names in parentheses, which are not selectors.
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
// Keywords (numbers, for Inf and NaN) that PromQL never reads as a metric name.
const NOT_SELECTORS = new Set([
  ...LABEL_LIST_KEYWORDS,
  ...['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan'],
]);

function tokenize(expr: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const rest = expr.slice(i);
    const ch = rest[0] ?? '';
    if (/\s/.test(ch)) i++;
    else if (ch === '#') i = expr.includes('\n', i) ? expr.indexOf('\n', i) : expr.length;
    else if (ch === '"' || ch === "'" || ch === '`') {
      const end = findStringEnd(expr, i, ch);
      if (end >= expr.length) return undefined;
      tokens.push({ kind: 'string', text: expr.slice(i + 1, end) });
      i = end + 1;
    } else {
      const match = IDENT.exec(rest) ?? NUMBER_LIKE.exec(rest) ?? PUNCT.exec(rest);
      if (!match) return undefined;
      const text = match[0];
      if (IDENT.test(ch)) tokens.push({ kind: 'ident', text });
      else if (/[\d.]/.test(ch)) tokens.push({ kind: 'number', text });
      else tokens.push({ kind: 'punct', text });
      i += text.length;
    }
  }
  return tokens;
}

/** Reads `{a="x", b=~"y"}` from tokens[start] (the `{`); returns the matchers and the index after `}`. */
function readMatchers(tokens: Token[], start: number): { matchers: string[]; next: number } | undefined {
  const matchers: string[] = [];
  let i = start + 1;
  for (;;) {
    const t = tokens[i];
    if (!t) return undefined;
    if (t.kind === 'punct' && t.text === '}') return { matchers, next: i + 1 };
    if (t.kind === 'punct' && t.text === ',') {
      i++;
      continue;
    }
    const op = tokens[i + 1];
    const value = tokens[i + 2];
    if (t.kind === 'string' && !(op?.kind === 'punct' && /^(=|!=|=~|!~)$/.test(op.text))) {
      // A quoted metric name alone: `{"http.requests"}`.
      matchers.push(matcher('__name__', '=', t.text));
      i++;
      continue;
    }
    if (t.kind !== 'ident' && t.kind !== 'string') return undefined;
    if (op?.kind !== 'punct' || !/^(=|!=|=~|!~)$/.test(op.text) || value?.kind !== 'string') return undefined;
    matchers.push(matcher(t.text, op.text, value.text));
    i += 3;
  }
}

/**
 * The text of `expr`'s tokens in two lists: string literals that are a label matcher's value matched with
 * `=` or `!=` inside a selector (`{a="x"}`), and every other token (names, numbers, other strings); or
 * undefined when the expression cannot be read. What a spliced value may become depends on which.
 */
export function exactMatcherValues(expr: string): { exact: string[]; elsewhere: string[] } | undefined {
  const tokens = tokenize(expr);
  if (!tokens) return undefined;
  const exact: string[] = [];
  const elsewhere: string[] = [];
  let depth = 0;
  tokens.forEach((t, i) => {
    if (isPunct(t, '{')) depth++;
    if (isPunct(t, '}')) depth--;
    const op = tokens[i - 1];
    const name = tokens[i - 2];
    const isExact =
      t.kind === 'string' &&
      depth > 0 &&
      (isPunct(op, '=') || isPunct(op, '!=')) &&
      (name?.kind === 'ident' || name?.kind === 'string');
    (isExact ? exact : elsewhere).push(t.text);
  });
  return { exact, elsewhere };
}

/** The index after the bracket group opened at tokens[start], or undefined when it never closes. */
function skipGroup(tokens: Token[], start: number): number | undefined {
  const open = tokens[start];
  const close = open?.kind === 'punct' && open.text === '(' ? ')' : ']';
  for (let i = start + 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (t?.kind === 'punct' && t.text === close) return i + 1;
  }
  return undefined;
}

const isPunct = (t: Token | undefined, text: string): boolean => t?.kind === 'punct' && t.text === text;
const isKeyword = (t: Token): boolean => t.kind === 'ident' && NOT_SELECTORS.has(t.text.toLowerCase());
// `sum by (job) (…)`: an aggregation's name followed by its grouping, not a metric.
const aggregatesBy = (t: Token | undefined): boolean => t?.kind === 'ident' && /^(by|without)$/i.test(t.text);

/**
 * Every vector selector in a PromQL expression (`rate(http_errors{job="api"}[5m]) / up` → two), or
 * undefined when the expression cannot be read. Enough of PromQL to tell selectors from function names,
 * keywords, label lists (`by (job)`), strings, numbers and durations; it checks nothing else.
 */
export function vectorSelectors(expr: string): Selector[] | undefined {
  const tokens = tokenize(expr);
  if (!tokens) return undefined;
  const selectors: Selector[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i];
    const next = tokens[i + 1];
    let matchers: string[] | undefined;
    if (t?.kind === 'ident' && LABEL_LIST_KEYWORDS.has(t.text.toLowerCase()) && isPunct(next, '(')) {
      const after = skipGroup(tokens, i + 1);
      if (after === undefined) return undefined;
      i = after;
      continue;
    } else if (isPunct(t, '[')) {
      // A range or subquery: durations and colons only.
      const after = skipGroup(tokens, i);
      if (after === undefined) return undefined;
      i = after;
      continue;
    } else if (t?.kind === 'ident' && !isPunct(next, '(') && !isKeyword(t) && !aggregatesBy(next)) {
      matchers = [matcher('__name__', '=', t.text)];
      i++;
      if (isPunct(tokens[i], '{')) {
        const read = readMatchers(tokens, i);
        if (!read) return undefined;
        matchers.push(...read.matchers);
        i = read.next;
      }
    } else if (isPunct(t, '{')) {
      const read = readMatchers(tokens, i);
      if (!read) return undefined;
      matchers = read.matchers;
      i = read.next;
    } else {
      i++;
    }
    if (matchers) selectors.push([...new Set(matchers)].sort());
  }
  return selectors;
}

/**
 * Whether `query` reads only series that `rule` already reads: each of its selectors has every matcher
 * of one of the rule's selectors (and may add more, which only narrows it). Anything unreadable is no.
 */
export function readsOnlySeriesOf(query: string, rule: string): boolean {
  const asked = vectorSelectors(query);
  const allowed = vectorSelectors(rule)?.filter((s) => s.length > 0);
  if (!asked || !allowed || asked.length === 0) return false;
  if (!madeOnlyAsRuleMakes(query, rule)) return false;
  return asked.every((q) => allowed.some((r) => r.every((m) => q.includes(m))));
}

/**
 * Functions whose values come from the clock or from nothing rather than from the series read:
 * `time()` alone makes a perfect rising trend, and `up or vector(1)` a series that never was.
 */
const MAKES_VALUES = new Set([
  'vector',
  'time',
  'timestamp',
  'pi',
  'absent',
  'absent_over_time',
  'minute',
  'hour',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'days_in_month',
  'month',
  'year',
]);

/**
 * What a query annotation may do to its rule's series beyond asking for them: rates and windows over
 * time, and aggregations across series. Each keeps the series' own values and their sense (a rise stays
 * a rise). Arithmetic, comparisons and other functions make values of their own: `-x` turns a rise into
 * a fall, `x * 0 + 42` or `exp(x)` any score wanted, `count` a number of series.
 */
const RESHAPES = new Set([
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'sum_over_time',
  'quantile_over_time',
  'last_over_time',
  'histogram_quantile',
  'sum',
  'avg',
  'min',
  'max',
  'quantile',
]);
/** Reshapes whose first argument is a number (the quantile asked for). */
const TAKES_QUANTILE = new Set(['quantile', 'quantile_over_time', 'histogram_quantile']);

/**
 * Whether `query` only reshapes the series it reads (see RESHAPES): selectors, ranges and offsets,
 * reshaping functions and aggregations with their groupings, and a quantile's number. Nothing else:
 * no operator, no other function, no string, no other number. Unreadable is no.
 */
export function onlyReshapes(query: string): boolean {
  const tokens = tokenize(query);
  if (!tokens) return false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const next = tokens[i + 1];
    let skipTo: number | undefined;
    if (isPunct(t, '{')) skipTo = readMatchers(tokens, i)?.next;
    else if (isPunct(t, '[')) skipTo = skipGroup(tokens, i);
    else if (t?.kind === 'ident' && aggregatesBy(t) && isPunct(next, '(')) skipTo = skipGroup(tokens, i + 1);
    if (skipTo !== undefined) {
      i = skipTo - 1;
      continue;
    }
    // A matcher list or range that could not be read is no reshape either.
    if (isPunct(t, '{') || isPunct(t, '[') || !reshapes(tokens, i)) return false;
  }
  return true;
}

/** Whether tokens[i] (not a matcher list, range or grouping) is something a reshape may hold. */
function reshapes(tokens: Token[], i: number): boolean {
  const t = tokens[i];
  const prev = tokens[i - 1];
  const next = tokens[i + 1];
  if (t?.kind === 'ident') {
    const name = t.text.toLowerCase();
    if (isPunct(next, '(') || aggregatesBy(next)) return RESHAPES.has(name);
    // A metric name, or `offset` before its duration (looksBackNoFurther bounds it).
    return name === 'offset' || !NOT_SELECTORS.has(name);
  }
  if (t?.kind === 'number') {
    if (prev?.kind === 'ident' && prev.text.toLowerCase() === 'offset') return true;
    const fn = tokens[i - 2];
    return isPunct(prev, '(') && fn?.kind === 'ident' && TAKES_QUANTILE.has(fn.text.toLowerCase());
  }
  return isPunct(t, '(') || isPunct(t, ')') || isPunct(t, ',');
}

/** The value-making functions an expression calls, or undefined when it cannot be read. */
function valueMakers(expr: string): Set<string> | undefined {
  const tokens = tokenize(expr);
  if (!tokens) return undefined;
  const called = tokens.flatMap((t, i) =>
    t.kind === 'ident' && isPunct(tokens[i + 1], '(') && MAKES_VALUES.has(t.text.toLowerCase())
      ? [t.text.toLowerCase()]
      : [],
  );
  return new Set(called);
}

/** Whether `query` calls no value-making function that `rule` does not (an `absent` rule may keep it). */
function madeOnlyAsRuleMakes(query: string, rule: string): boolean {
  const asked = valueMakers(query);
  const allowed = valueMakers(rule);
  return asked !== undefined && allowed !== undefined && [...asked].every((f) => allowed.has(f));
}

const DURATION_UNITS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/** Seconds of a PromQL duration (`5m`, `1h30m`, `500ms`, or plain seconds), or undefined. */
function durationSeconds(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+)(ms|[smhdwy])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS[p[2] ?? ''] ?? 0), 0);
}

/**
 * Every range (`[5m]`) and subquery (`[1h:10s]`) of an expression: its span and, for a subquery that
 * gives one, its resolution, in seconds; undefined when a bracket holds anything else.
 */
export function rangesOf(expr: string): { spanSec: number; stepSec?: number }[] | undefined {
  const tokens = tokenize(expr);
  if (!tokens) return undefined;
  const ranges: { spanSec: number; stepSec?: number }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!isPunct(tokens[i], '[')) continue;
    const end = skipGroup(tokens, i);
    if (end === undefined) return undefined;
    // The tokenizer reads `:10s` as one identifier (metric names may hold colons): the subquery's step.
    const [span, step, ...more] = tokens.slice(i + 1, end - 1);
    const stepText = step?.kind === 'ident' && step.text.startsWith(':') ? step.text.slice(1) : undefined;
    const spanSec = span?.kind === 'number' ? durationSeconds(span.text) : undefined;
    if (spanSec === undefined || more.length > 0 || (step && stepText === undefined)) return undefined;
    const stepSec = stepText ? durationSeconds(stepText) : undefined;
    if (stepText && stepSec === undefined) return undefined;
    ranges.push({ spanSec, ...(stepSec !== undefined ? { stepSec } : {}) });
    i = end - 1;
  }
  return ranges;
}

/**
 * How far back a reshaping of an alert's expression may look: the rule's own longest range, or an hour
 * if that is longer; and a subquery at most Prometheus's 11,000 points a series. Reading only the rule's
 * series is not enough on its own: `max_over_time(x[3650d:1s])` reads only `x`, and costs the server ten
 * years of it at every step.
 */
export const RESHAPE_LIMITS = { minSpanSec: 3600, maxSubqueryPoints: 11_000 } as const;

/**
 * The seconds of every `offset` in an expression (a negative one counts as far as a positive one), or
 * undefined when one cannot be read or the expression pins a time with `@`, which may be any time at all.
 */
function offsetsOf(expr: string): number[] | undefined {
  const tokens = tokenize(expr);
  if (!tokens || tokens.some((t) => isPunct(t, '@'))) return undefined;
  const shifts: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t?.kind !== 'ident' || t.text.toLowerCase() !== 'offset') continue;
    const signed = isPunct(tokens[i + 1], '-') || isPunct(tokens[i + 1], '+');
    const value = tokens[i + (signed ? 2 : 1)];
    const seconds = value?.kind === 'number' ? durationSeconds(value.text) : undefined;
    if (seconds === undefined) return undefined;
    shifts.push(seconds);
  }
  return shifts;
}

/** Whether `query` looks back no further than RESHAPE_LIMITS allow beside `rule`. Unreadable is no. */
export function looksBackNoFurther(query: string, rule: string): boolean {
  const asked = rangesOf(query);
  const allowed = rangesOf(rule);
  const shifts = offsetsOf(query);
  const ruleShifts = offsetsOf(rule);
  if (!asked || !allowed || !shifts || !ruleShifts) return false;
  // A rule that compares with last week (`offset 1w`) lets its reshaping look as far back as it does.
  const ruleLongest = Math.max(0, ...allowed.map((r) => r.spanSec));
  const span = Math.max(RESHAPE_LIMITS.minSpanSec, ruleLongest, ...ruleShifts.map((s) => s + ruleLongest));
  // An offset moves every range it follows back by itself: `x[1h] offset 5y` reads five years ago.
  const longest = Math.max(0, ...asked.map((r) => r.spanSec));
  if (shifts.some((shift) => shift + longest > span)) return false;
  return asked.every(
    (r) =>
      r.spanSec <= span &&
      (r.stepSec === undefined ||
        (r.stepSec > 0 && r.spanSec / r.stepSec <= RESHAPE_LIMITS.maxSubqueryPoints)),
  );
}
