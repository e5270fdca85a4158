import { describe, expect, it } from 'vitest';
import {
  fillEach,
  fillPromQL,
  fillValue,
  PlaceholderError,
  placeholdersIn,
} from '../../src/domain/placeholder.js';

describe('fillValue', () => {
  it('when the template names a label the alert has, then the label value is filled in', () => {
    const labels = { container: 'checkout-1', job: 'checkout' };

    const value = fillValue('{{ labels.container }}', labels, 'container', 'steps.0.container');

    expect(value).toBe('checkout-1');
  });

  it('when the template mixes text and placeholders, then the whole result is filled', () => {
    const labels = { service: 'cart', replica: '2' };

    const value = fillValue('app-{{labels.service}}_{{  labels.replica  }}', labels, 'container', 'f');

    expect(value).toBe('app-cart_2');
  });

  it('when the value is a container ID, then it is accepted', () => {
    const id = 'a'.repeat(12) + '0123456789abcdef'.repeat(3);

    const value = fillValue('{{ labels.id }}', { id }, 'container', 'f');

    expect(value).toBe(id);
  });

  it('when the alert lacks the label, then a PlaceholderError names the field and the label', () => {
    const fill = (): string =>
      fillValue('{{ labels.container }}', { job: 'x' }, 'container', 'steps.2.container');

    expect(fill).toThrow(PlaceholderError);
    expect(fill).toThrow('steps.2.container: the alert has no label "container"');
  });

  it.each([
    ['a shell command separator', 'web; rm -rf /'],
    ['a command substitution', '$(reboot)'],
    ['a space', 'a b'],
    ['a path traversal', '../x'],
    ['a 300-character name', 'a'.repeat(300)],
    ['an empty value', ''],
    ['a newline', 'web\nrm'],
    ['a leading dash', '-rf'],
    ['a slash', 'web/1'],
  ])('when the label value holds %s, then it is refused as a container name', (_label, container) => {
    const fill = (): string =>
      fillValue('{{ labels.container }}', { container }, 'container', 'steps.0.container');

    expect(fill).toThrow(PlaceholderError);
    expect(fill).toThrow(/^steps\.0\.container: .* is not a container name/);
  });

  it('when a refused value is very long, then the message quotes only its start', () => {
    let message = '';

    try {
      fillValue('{{ labels.container }}', { container: 'b'.repeat(300) + '!' }, 'container', 'f');
    } catch (error) {
      message = error instanceof Error ? error.message : '';
    }

    expect(message).toContain(`"${'b'.repeat(80)}"`);
    expect(message).not.toContain('b'.repeat(81));
  });

  it('when the template itself is not a container name, then it is refused even without placeholders', () => {
    const fill = (): string => fillValue('web; reboot', {}, 'container', 'f');

    expect(fill).toThrow(PlaceholderError);
  });

  it('when the kind is promql-label-value, then the whole result must be a safe label value', () => {
    const ok = fillValue('{{ labels.job }}', { job: 'node:9100/x' }, 'promql-label-value', 'f');
    const bad = (): string => fillValue('{{ labels.job }}', { job: 'x"}' }, 'promql-label-value', 'f');

    expect(ok).toBe('node:9100/x');
    expect(bad).toThrow(PlaceholderError);
  });
});

describe('url-segment values', () => {
  it('when a label is a dot segment, then it is refused, since the URL parser would climb a level with it', () => {
    const tpl = 'http://cache/api/tenants/{{ labels.tenant }}/cache/flush';

    expect(fillEach(tpl, { tenant: 'acme' }, 'url-segment', 'url')).toBe(
      'http://cache/api/tenants/acme/cache/flush',
    );
    expect(() => fillEach(tpl, { tenant: '..' }, 'url-segment', 'url')).toThrow(
      /^url: label tenant="\.\." is not a URL segment/,
    );
    expect(() => fillEach(tpl, { tenant: '.' }, 'url-segment', 'url')).toThrow(PlaceholderError);
  });
});

describe('fillPromQL', () => {
  it('when the label value is an ordinary name, then it is spliced into the query', () => {
    const query = fillPromQL(
      'up{job="{{ labels.job }}"} == 1',
      { job: 'checkout-7f9c.prod' },
      'verify.promql',
    );

    expect(query).toBe('up{job="checkout-7f9c.prod"} == 1');
  });

  it.each([
    ['a double quote', 'x"} or vector(1) #'],
    ['a closing brace', 'x}'],
    ['a backslash', 'x\\'],
    ['a space', 'a b'],
    ['a single quote', "x'"],
    ['a newline', 'a\nb'],
  ])('when the label value holds %s, then it is refused', (_label, job) => {
    const fill = (): string => fillPromQL('up{job="{{ labels.job }}"}', { job }, 'verify.promql');

    expect(fill).toThrow(PlaceholderError);
    expect(fill).toThrow(/^verify\.promql: label job=.* is not a label value/);
  });

  it('when the alert lacks the label, then a PlaceholderError names the field and the label', () => {
    const fill = (): string => fillPromQL('up{job="{{ labels.job }}"}', {}, 'verify.promql');

    expect(fill).toThrow('verify.promql: the alert has no label "job"');
  });

  it('when the template has no placeholders, then it is returned unchanged, quotes and all', () => {
    const query = fillPromQL('sum(rate(x{a="b"}[5m])) > 0', { job: 'ignored' }, 'verify.promql');

    expect(query).toBe('sum(rate(x{a="b"}[5m])) > 0');
  });
});

describe('placeholdersIn', () => {
  it('when a template has placeholders, then their label names are listed in order', () => {
    const names = placeholdersIn('{{ labels.a }}-{{labels.b_2}} {{ labels.a }} {{ other.c }}');

    expect(names).toEqual(['a', 'b_2', 'a']);
  });
});
