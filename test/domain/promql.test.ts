import { describe, expect, it } from 'vitest';
import {
  exprFromGeneratorURL,
  parseAlertCondition,
  prometheusFromGeneratorURL,
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

describe('prometheusFromGeneratorURL', () => {
  it('when the URL has a path prefix before /graph, then the prefix is kept', () => {
    const url = 'http://h:9090/prom/graph?g0.expr=up';

    const server = prometheusFromGeneratorURL(url);

    expect(server).toBe('http://h:9090/prom');
  });

  it('when the URL points at /graph directly, then the server is the origin', () => {
    const plain = prometheusFromGeneratorURL('https://prom.example.com/graph?g0.expr=up');
    const trailing = prometheusFromGeneratorURL('http://h:9090/graph/?g0.expr=up');
    const root = prometheusFromGeneratorURL('http://h:9090/');

    expect(plain).toBe('https://prom.example.com');
    expect(trailing).toBe('http://h:9090');
    expect(root).toBe('http://h:9090');
  });

  it.each([
    ['no URL', undefined],
    ['an empty string', ''],
    ['garbage', '::not-a-url::'],
    ['a relative path', '/graph?g0.expr=up'],
  ])('when given %s, then there is no server', (_label, url) => {
    const server = prometheusFromGeneratorURL(url);

    expect(server).toBeUndefined();
  });

  it.each([
    'ftp://h:9090/graph?g0.expr=up',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/plain,graph',
  ])('when the protocol is not http(s) (%s), then there is no server', (url) => {
    const server = prometheusFromGeneratorURL(url);

    expect(server).toBeUndefined();
  });
});
