import { describe, expect, it } from 'vitest';
import { nestsDeeperThan, protoKeyPath } from '../../src/api/json-body.js';

describe('protoKeyPath', () => {
  it('when a parsed body holds "__proto__" as a key at any depth, then it names where', () => {
    expect(protoKeyPath(JSON.parse('{"__proto__":"x"}'))).toBe('(body)');
    expect(protoKeyPath(JSON.parse('{"alerts":[{"labels":{"a":"b","__proto__":"x"}}]}'))).toBe(
      'alerts.0.labels',
    );
    expect(protoKeyPath(JSON.parse('[{"annotations":{"__proto__":{"polluted":true}}}]'))).toBe(
      '0.annotations',
    );
  });

  it('when no key is "__proto__", then nothing is named, whatever the other names or values', () => {
    expect(protoKeyPath(JSON.parse('{"constructor":"c","toString":"t","prototype":{"x":"__proto__"}}'))).toBe(
      undefined,
    );
    expect(protoKeyPath(['__proto__', null, 1, 'x'])).toBe(undefined);
    expect(protoKeyPath('__proto__')).toBe(undefined);
    expect(protoKeyPath(null)).toBe(undefined);
  });

  it('when a body nests 100,000 deep, then the walk answers without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}{"__proto__":1}${']'.repeat(100_000)}`) as unknown;
    expect(protoKeyPath(deep)).toBe(`${'0.'.repeat(99_999)}0`);
  });
});

describe('nestsDeeperThan', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  it('counts arrays and objects, and not brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(bytes('[[{"a":[1]}]]'), 4)).toBe(false);
    expect(nestsDeeperThan(bytes('[[{"a":[[1]]}]]'), 4)).toBe(true);
    expect(nestsDeeperThan(bytes('["[[[[[[", "\\"[[[[[[[", {"k[{":"]}"}]'), 2)).toBe(false);
  });

  it('when a body is a megabyte of brackets, then it says so without parsing it', () => {
    expect(nestsDeeperThan(bytes(`${'['.repeat(500_000)}${']'.repeat(500_000)}`), 32)).toBe(true);
  });
});
