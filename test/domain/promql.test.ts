import { describe, expect, it } from 'vitest';
import {
  looksBackNoFurther,
  rangesOf,
  exprFromGeneratorURL,
  parseAlertCondition,
  onlyReshapes,
  readsOnlySeriesOf,
  vectorSelectors,
} from '../../src/domain/promql.js';

describe('parseAlertCondition', () => {
  it('when a series is compared with > to a number, then the series is watched for going above it', () => {
    const condition = parseAlertCondition('rate(x[5m]) > 0.05');

    expect(condition).toEqual({ series: 'rate(x[5m])', threshold: { value: 0.05, direction: 'above' } });
  });

  it('when a series is compared with < to a number, then the threshold direction is below', () => {
    const condition = parseAlertCondition('free_bytes < 1e9');

    expect(condition).toEqual({ series: 'free_bytes', threshold: { value: 1e9, direction: 'below' } });
  });

  it('when the threshold is on the left of <, then the direction flips to above (0.9 < y means y > 0.9)', () => {
    const condition = parseAlertCondition('0.9 < y');

    expect(condition).toEqual({ series: 'y', threshold: { value: 0.9, direction: 'above' } });
  });

  it('when the threshold is on the left of >, then the direction flips to below (0.9 > y means y < 0.9)', () => {
    const condition = parseAlertCondition('0.9 > y');

    expect(condition).toEqual({ series: 'y', threshold: { value: 0.9, direction: 'below' } });
  });

  it('when >= or <= is used, then they read as above and below', () => {
    const atLeast = parseAlertCondition('queue_depth >= 100');
    const atMost = parseAlertCondition('ratio<=0.25');
    const flippedAtMost = parseAlertCondition('10 <= z');

    expect(atLeast).toEqual({ series: 'queue_depth', threshold: { value: 100, direction: 'above' } });
    expect(atMost).toEqual({ series: 'ratio', threshold: { value: 0.25, direction: 'below' } });
    expect(flippedAtMost).toEqual({ series: 'z', threshold: { value: 10, direction: 'above' } });
  });

  it('when the comparison has the bool modifier, then bool is not part of the threshold', () => {
    const condition = parseAlertCondition('errors > bool 3');

    expect(condition).toEqual({ series: 'errors', threshold: { value: 3, direction: 'above' } });
  });

  it('when the threshold is negative or in scientific notation, then the number is read in full', () => {
    const negative = parseAlertCondition('temperature_delta < -2.5');
    const scientific = parseAlertCondition('latency_seconds > 2.5e-1');

    expect(negative.threshold).toEqual({ value: -2.5, direction: 'below' });
    expect(scientific.threshold).toEqual({ value: 0.25, direction: 'above' });
  });

  it('when the comparison is an equality such as up == 0, then the series is watched without a threshold', () => {
    const condition = parseAlertCondition('up == 0');

    expect(condition).toEqual({ series: 'up' });
  });

  it('when the number is on the left of !=, then the series on the right is watched without a threshold', () => {
    const condition = parseAlertCondition('1 != up{job="api"}');

    expect(condition).toEqual({ series: 'up{job="api"}' });
  });

  it('when a comparison sign sits inside a label matcher string, then it does not split the expression', () => {
    const condition = parseAlertCondition('x{a=">"} > 3');

    expect(condition).toEqual({ series: 'x{a=">"}', threshold: { value: 3, direction: 'above' } });
  });

  it('when a string holds an escaped quote and a comparison, then the string still ends in the right place', () => {
    const condition = parseAlertCondition('x{a="\\">"} < 3');

    expect(condition).toEqual({ series: 'x{a="\\">"}', threshold: { value: 3, direction: 'below' } });
  });

  it('when a comparison sits inside parentheses, then only the top-level comparison splits', () => {
    const condition = parseAlertCondition('sum(a > 1) > 2');

    expect(condition).toEqual({ series: 'sum(a > 1)', threshold: { value: 2, direction: 'above' } });
  });

  it('when a comparison sits inside braces, then only the top-level comparison splits', () => {
    const condition = parseAlertCondition('x{path!="/health"} >= 7');

    expect(condition).toEqual({ series: 'x{path!="/health"}', threshold: { value: 7, direction: 'above' } });
  });

  it('when two comparisons are joined by and, then the expression is left whole without a threshold', () => {
    const condition = parseAlertCondition('a > 1 and b > 2');

    expect(condition).toEqual({ series: 'a > 1 and b > 2' });
  });

  it('when one comparison is combined with a set operator, then the expression is left whole', () => {
    const withOr = parseAlertCondition('a > 1 or vector(0)');
    const withUnless = parseAlertCondition('a unless b > 1');

    expect(withOr).toEqual({ series: 'a > 1 or vector(0)' });
    expect(withUnless).toEqual({ series: 'a unless b > 1' });
  });

  it('when a metric name merely starts with a set operator word, then it is not mistaken for one', () => {
    const condition = parseAlertCondition('orders_failed_total > 5');

    expect(condition).toEqual({ series: 'orders_failed_total', threshold: { value: 5, direction: 'above' } });
  });

  it('when both sides are series, then the expression is left whole without a threshold', () => {
    const condition = parseAlertCondition('used_bytes > limit_bytes');

    expect(condition).toEqual({ series: 'used_bytes > limit_bytes' });
  });

  it('when there is no comparison, then the trimmed expression is the series', () => {
    const condition = parseAlertCondition('  absent(up{job="api"})  ');

    expect(condition).toEqual({ series: 'absent(up{job="api"})' });
  });
});

describe('parseAlertCondition with upper-case keywords', () => {
  it('when a set operator is written in upper case, then the expression is still left whole', () => {
    expect(parseAlertCondition('a AND b > 1')).toEqual({ series: 'a AND b > 1' });
  });

  it('when the bool modifier is written in upper case, then the threshold is still read', () => {
    expect(parseAlertCondition('x > BOOL 3')).toEqual({
      series: 'x',
      threshold: { value: 3, direction: 'above' },
    });
  });
});

describe('exprFromGeneratorURL', () => {
  it('when the URL carries g0.expr, then the decoded expression is returned', () => {
    const url = 'http://prometheus:9090/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+0.05&g0.tab=1';

    const expr = exprFromGeneratorURL(url);

    expect(expr).toBe('rate(x[5m]) > 0.05');
  });

  it('when the URL has a path prefix, then the expression is still found', () => {
    const url = 'http://h:9090/prom/graph?g0.expr=up%20%3D%3D%200';

    const expr = exprFromGeneratorURL(url);

    expect(expr).toBe('up == 0');
  });

  it.each([
    ['no URL', undefined],
    ['an empty string', ''],
    ['garbage', 'not a url at all'],
    ['no g0.expr', 'http://h:9090/graph?g0.tab=1'],
    ['a blank g0.expr', 'http://h:9090/graph?g0.expr=%20%20'],
  ])('when given %s, then there is no expression', (_label, url) => {
    const expr = exprFromGeneratorURL(url);

    expect(expr).toBeUndefined();
  });
});

/** Selectors as `label=op"value"` lists, easier to read than their canonical JSON. */
function readSelectors(expr: string): string[] | undefined {
  return vectorSelectors(expr)?.map((s) =>
    s
      .map((m) => {
        const [label, op, value] = JSON.parse(m) as [string, string, string];
        return `${label}${op}${JSON.stringify(value)}`;
      })
      .join(','),
  );
}

describe('vectorSelectors', () => {
  it.each([
    ['a bare metric', 'up', ['__name__="up"']],
    ['a metric with matchers', 'up{job="api",env!~"dev.*"}', ['__name__="up",env!~"dev.*",job="api"']],
    ['matchers without a name', 'count({__name__=~".+"})', ['__name__=~".+"']],
    ['a function around a range', 'rate(http_errors{job="api"}[5m])', ['__name__="http_errors",job="api"']],
    [
      'a binary expression',
      'errors / ignoring(code) group_left requests',
      ['__name__="errors"', '__name__="requests"'],
    ],
    ['an aggregation with by before', 'sum by (job) (rate(x[5m:1m] offset 5m))', ['__name__="x"']],
    ['an aggregation with without after', 'sum(rate(b[5m])) without (le)', ['__name__="b"']],
    [
      'keywords and a bool comparison',
      'x > bool 3 and on(job) y unless z',
      ['__name__="x"', '__name__="y"', '__name__="z"'],
    ],
    ['the @ modifier', 'x @ start()', ['__name__="x"']],
    [
      'a quoted metric name',
      '{"http.requests", "code.class"="5xx"}',
      ['__name__="http.requests",code.class="5xx"'],
    ],
    ['a comment', 'x # y{a="b"}\n + z', ['__name__="x"', '__name__="z"']],
    ['numbers only', '0x1f * 1.5e+3 + Inf - NaN', []],
    ['strings in function arguments', 'label_replace(up, "dst", "$1", "src", "(.*)")', ['__name__="up"']],
  ])('when the expression is %s, then its selectors are found', (_label, expr, expected) => {
    expect(readSelectors(expr)).toEqual(expected);
  });

  it('when two selectors differ only in quoting or order of matchers, then they read the same', () => {
    expect(vectorSelectors(`x{b='2', a="1"}`)).toEqual(vectorSelectors('{__name__="x", a="1", b="2"}'));
  });

  it.each([
    ['an unterminated string', 'x{a="b}'],
    ['an unclosed brace', 'x{a="b"'],
    ['a matcher without a value', 'x{a=}'],
    ['a character PromQL does not have', 'x ! y'],
    ['an unclosed label list', 'sum by (job x'],
  ])('when the expression has %s, then it cannot be read', (_label, expr) => {
    expect(vectorSelectors(expr)).toBeUndefined();
  });
});

describe('readsOnlySeriesOf', () => {
  const RULE = 'rate(http_errors{job="api"}[5m]) / rate(http_requests{job="api"}[5m]) > 0.05';

  it.each([
    ['the rule itself', RULE],
    ['one of its series, reshaped', 'sum(rate(http_errors{job="api"}[1m]))'],
    ['one of its series, narrowed by a matcher', 'http_requests{job="api", code="500"}'],
  ])('when the query is %s, then it is accepted', (_label, query) => {
    expect(readsOnlySeriesOf(query, RULE)).toBe(true);
  });

  it.each([
    ['every series there is', 'count({__name__=~".+"})'],
    ['another metric', 'node_memory_MemFree_bytes'],
    ["the same metric without the rule's matcher", 'http_errors'],
    ['the same metric with the matcher changed', 'http_errors{job=~".+"}'],
    ['one of its series and another', 'http_errors{job="api"} or secrets_total'],
    ['something that cannot be read', 'http_errors{job="api"'],
    ['no series at all, only the clock', 'time()'],
    ['no series at all, only a constant', 'vector(1)'],
    ['one of its series or a made-up one', 'http_errors{job="api"} or vector(1)'],
    ["the samples' timestamps instead of their values", 'timestamp(http_errors{job="api"})'],
  ])('when the query reads %s, then it is refused', (_label, query) => {
    expect(readsOnlySeriesOf(query, RULE)).toBe(false);
  });

  it('when the rule cannot be read, then no query is accepted', () => {
    expect(readsOnlySeriesOf('up', 'up{')).toBe(false);
  });

  it('when the rule itself asks whether a series is absent, then its reshaping may too', () => {
    expect(readsOnlySeriesOf('absent(up{job="api"})', 'absent(up{job="api"}) == 1')).toBe(true);
    expect(readsOnlySeriesOf('absent(up{job="api"})', 'up{job="api"} == 0')).toBe(false);
  });
});

describe('onlyReshapes', () => {
  it.each([
    ['a series', 'http_errors{job="api"}'],
    ['a rate, summed', 'sum(rate(http_errors{job="api"}[1m]))'],
    ['a window', 'max_over_time(x[1h])'],
    ['a quantile of a histogram', 'histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))'],
    ['a quantile over time', 'quantile_over_time(0.9, x[10m])'],
    ['an offset', 'x offset 30m'],
    ['an aggregation by a label', 'sum by (job) (rate(x[5m]))'],
    ['an aggregation without a label, written after it', 'avg(x) without (instance)'],
  ])('when the query is %s, then it only reshapes', (_label, query) => {
    expect(onlyReshapes(query)).toBe(true);
  });

  it('when an aggregation by a label has nothing after it, then it only reshapes', () => {
    expect(onlyReshapes('avg(x) without (instance)')).toBe(true);
    expect(onlyReshapes('sum by (job) (rate(x[5m]))')).toBe(true);
  });

  it.each([
    ['the series negated (a rise becomes a fall)', '-rate(x[5m])'],
    ['a constant made from it', 'rate(x[5m]) * 0 + 42'],
    ['a power of it', 'rate(x[5m]) ^ 40'],
    ['an exponential of it', 'exp(rate(x[5m]) * 1000)'],
    ['a count of series', 'count by (job) (x)'],
    ['a comparison', 'x > 0.5'],
    ['a set operation', 'x and y'],
    ['a function that changes values', 'abs(x)'],
    ['a relabelling', 'label_replace(x, "a", "b", "c", "d")'],
    ['a time pinned with @', 'x @ 0'],
    ['a clamp', 'clamp_min(x, 5)'],
    ['a number beside an aggregation', 'sum(x) + 1'],
    ['a ranking', 'topk(5, x)'],
    ['something that cannot be read', 'x{a="1"'],
  ])('when the query holds %s, then it does more than reshape', (_label, query) => {
    expect(onlyReshapes(query)).toBe(false);
  });
});

describe('rangesOf', () => {
  it("when an expression has ranges and subqueries, then each one's span and resolution are read in seconds", () => {
    expect(rangesOf('max_over_time(rate(x[5m])[1h30m:10s]) > avg_over_time(y[500ms]) + z[2d:]')).toEqual([
      { spanSec: 300 },
      { spanSec: 5400, stepSec: 10 },
      { spanSec: 0.5 },
      { spanSec: 172_800 },
    ]);
    expect(rangesOf('up == 0')).toEqual([]);
  });

  it('when a bracket holds anything but durations, then the expression cannot be read', () => {
    expect(rangesOf('x[5m] > 1')).toEqual([{ spanSec: 300 }]);
    expect(rangesOf('x[$window]')).toBeUndefined();
    expect(rangesOf('x[5 m]')).toBeUndefined();
    expect(rangesOf('x[5mm]')).toBeUndefined();
  });
});

describe('looksBackNoFurther', () => {
  it.each([
    ['no range at all', 'x{job="a"}', 'x > 1'],
    ['a range of an hour beside a rule without one', 'avg_over_time(x[1h])', 'x > 1'],
    ["the rule's own longer range", 'rate(x[1d])', 'rate(x[1d]) > 1'],
    ['a subquery of 360 points', 'max_over_time(x[1h:10s])', 'x > 1'],
    ['an offset within an hour', 'x offset 30m', 'x > 1'],
    [
      "the rule's own comparison with last week",
      'rate(x[5m] offset 1w)',
      'rate(x[5m]) > rate(x[5m] offset 1w)',
    ],
  ])('when the query has %s, then it is accepted', (_label, query, rule) => {
    expect(looksBackNoFurther(query, rule)).toBe(true);
  });

  it.each([
    ['ten years at a step of a second', 'max_over_time(x[3650d:1s])', 'x > 1'],
    ["a range longer than the rule's and an hour", 'avg_over_time(x[2h])', 'rate(x[5m]) > 1'],
    ['a subquery of 36,000 points', 'max_over_time(x[1h:100ms])', 'x > 1'],
    ['a subquery step of zero', 'max_over_time(x[1h:0s])', 'x > 1'],
    ['a bracket that cannot be read', 'x[$w]', 'x > 1'],
    ['an offset of ten years', 'x offset 10y', 'x > 1'],
    ['a range moved back by an offset', 'max_over_time(x[1h] offset 5y)', 'x > 1'],
    ['a negative offset', 'x offset -10y', 'x > 1'],
    ['a time pinned with @', 'x @ 0', 'x > 1'],
  ])('when the query has %s, then it is refused', (_label, query, rule) => {
    expect(looksBackNoFurther(query, rule)).toBe(false);
  });
});
