/**
 * What a label value may carry into a runbook field, pinned character by character. An alert's sender
 * chooses its labels; each placeholder kind admits exactly one alphabet, and every other character, put
 * on its own into an otherwise valid value, must be refused. The allowed characters are checked too, so
 * that neither a loosened nor an over-tightened pattern passes unnoticed.
 */
import { describe, expect, it } from 'vitest';
import {
  fillEach,
  fillPromQL,
  fillValue,
  PlaceholderError,
  type ValueKind,
} from '../../src/domain/placeholder.js';

const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();

interface KindRule {
  /** Every character the kind admits somewhere in the middle of a value. */
  alphabet: string;
  /** A value is `before + character + after`; both halves valid on their own terms. */
  before: string;
  after: string;
}

const RULES: Record<ValueKind, KindRule> = {
  container: { alphabet: `${LOWER}${UPPER}${DIGITS}_.-`, before: 'web', after: '1' },
  network: { alphabet: `${LOWER}${UPPER}${DIGITS}_.-`, before: 'front', after: 'end' },
  'docker-label-value': { alphabet: `${LOWER}${UPPER}${DIGITS}_.-`, before: 'check', after: 'out' },
  'k8s-namespace': { alphabet: `${LOWER}${DIGITS}-`, before: 'shop', after: 'prod' },
  'k8s-name': { alphabet: `${LOWER}${DIGITS}.-`, before: 'checkout', after: 'v2' },
  'k8s-container': { alphabet: `${LOWER}${DIGITS}-`, before: 'app', after: 'main' },
  replicas: { alphabet: DIGITS, before: '1', after: '0' },
  'url-segment': { alphabet: `${LOWER}${UPPER}${DIGITS}._~:-`, before: 'cache', after: '1' },
  'promql-label-value': { alphabet: `${LOWER}${UPPER}${DIGITS}_.:/-`, before: 'node', after: '9100' },
};
const KINDS = Object.keys(RULES) as ValueKind[];

/**
 * Every ASCII character, controls included, and non-ASCII ones that look like or fold to allowed ones
 * (a full-width letter, a dotless i, Kelvin's K, a no-break space, a line separator, a combining mark).
 */
const UNIVERSE = [
  ...Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)),
  'é',
  'ａ',
  'ı',
  '\u212A',
  '\u00A0',
  '\u2028',
  '\u0301',
  '\u{1F600}',
];
const show = (c: string): string => JSON.stringify(c);

const fill = (kind: ValueKind, value: string): string => fillValue('{{ labels.v }}', { v: value }, kind, 'f');

describe.each(KINDS)('the %s placeholder kind', (kind) => {
  const rule = RULES[kind];
  const forbidden = UNIVERSE.filter((c) => !rule.alphabet.includes(c));
  const allowed = UNIVERSE.filter((c) => rule.alphabet.includes(c));

  it('accepts its plain example value', () => {
    expect(fill(kind, rule.before + rule.after)).toBe(rule.before + rule.after);
  });

  it.each(forbidden.map((c) => [show(c), c]))('refuses a value holding %s on its own', (_shown, c) => {
    const value = `${rule.before}${c}${rule.after}`;
    expect(() => fill(kind, value)).toThrow(PlaceholderError);
  });

  it('accepts each character of its alphabet inside a value, so the alphabet above is its exact one', () => {
    const refused = allowed.filter((c) => {
      try {
        fill(kind, `${rule.before}${c}${rule.after}`);
        return false;
      } catch {
        return true;
      }
    });
    expect(refused.map(show)).toEqual([]);
  });
});

describe('PromQL label values, as fillPromQL splices them into string literals', () => {
  const rule = RULES['promql-label-value'];
  const forbidden = UNIVERSE.filter((c) => !rule.alphabet.includes(c));

  it.each(forbidden.map((c) => [show(c), c]))('refuses a label holding %s on its own', (_shown, c) => {
    const job = `${rule.before}${c}${rule.after}`;
    expect(() => fillPromQL('up{job="{{ labels.job }}"}', { job }, 'verify.promql')).toThrow(
      PlaceholderError,
    );
  });
});

describe('url-segment: values the URL parser would rewrite', () => {
  // `.` and `..` are dot segments: `/api/tenants/../cache/flush` is sent as `/api/cache/flush`.
  it.each(['.', '..'])('refuses %s, a dot segment', (value) => {
    expect(() => fill('url-segment', value)).toThrow(PlaceholderError);
    expect(() =>
      fillEach('http://cache/api/tenants/{{ labels.t }}/flush', { t: value }, 'url-segment', 'f'),
    ).toThrow(PlaceholderError);
  });

  it.each(['...', '.well-known', 'a..b', '..a', 'v1.2'])(
    'accepts %s, which is no dot segment and comes through the URL parser unchanged',
    (value) => {
      expect(fill('url-segment', value)).toBe(value);
      expect(new URL(`http://cache/api/${value}/flush`).pathname).toBe(`/api/${value}/flush`);
    },
  );
});

describe('lengths and first characters', () => {
  it.each<[ValueKind, string]>([
    ['container', 'a'.repeat(255)],
    ['container', '-web'],
    ['container', '.web'],
    ['network', '_net'],
    ['docker-label-value', 'a'.repeat(255)],
    ['k8s-namespace', 'a'.repeat(64)],
    ['k8s-namespace', '-shop'],
    ['k8s-namespace', 'shop-'],
    ['k8s-name', 'a'.repeat(254)],
    ['k8s-name', 'web.'],
    ['k8s-name', 'web..v2'],
    ['k8s-container', 'a'.repeat(64)],
    ['replicas', '01'],
    ['replicas', '10000'],
    ['replicas', ''],
    ['url-segment', ''],
    ['url-segment', 'a'.repeat(254)],
    ['promql-label-value', 'a'.repeat(257)],
  ])('%s refuses %j', (kind, value) => {
    expect(() => fill(kind, value)).toThrow(PlaceholderError);
  });
});
