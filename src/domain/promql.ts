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

/** The Prometheus server behind a generatorURL (its origin plus any path prefix before /graph). */
export function prometheusFromGeneratorURL(generatorURL: string | undefined): string | undefined {
  if (!generatorURL) return undefined;
  try {
    const url = new URL(generatorURL);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    const prefix = url.pathname.replace(/\/graph\/?$/, '');
    return `${url.origin}${prefix === '/' ? '' : prefix}`;
  } catch {
    return undefined;
  }
}
