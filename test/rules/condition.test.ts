import { describe, expect, it } from 'vitest';
import { CONDITION_LIMITS, ConditionError, evaluate, parseCondition } from '../../src/rules/condition.js';
import { mergeRuleLevels } from '../../src/rules/escalation.js';
import { checkRule, matchingLevels, type RuleDefinition } from '../../src/rules/rule.js';
import { ruleTargets } from '../../src/rules/targets.js';

const holds = (condition: string, labels: Record<string, string>): boolean =>
  evaluate(parseCondition(condition), labels);

function parseError(condition: string): ConditionError {
  try {
    parseCondition(condition);
  } catch (err) {
    if (err instanceof ConditionError) return err;
    throw err;
  }
  throw new Error(`${condition} parsed`);
}

describe('a rule condition', () => {
  const checkout = { severity: 'critical', service: 'checkout' };

  it("holds for seed 001's example and not for another service", () => {
    const seed = 'severity == "critical" AND service == "checkout"';
    expect(holds(seed, checkout)).toBe(true);
    expect(holds(seed, { ...checkout, service: 'search' })).toBe(false);
  });

  it('gives AND precedence over OR, and parentheses and NOT their usual meaning', () => {
    expect(holds('service == "search" OR severity == "critical" AND service == "checkout"', checkout)).toBe(
      true,
    );
    expect(holds('(service == "search" OR severity == "critical") AND service == "search"', checkout)).toBe(
      false,
    );
    expect(holds('NOT service == "search" && !(severity != "critical")', checkout)).toBe(true);
    expect(holds('severity == "warning" || service == \'checkout\'', checkout)).toBe(true);
    expect(holds('service in ["a", "checkout"] and severity not in ["info"]', checkout)).toBe(true);
    expect(holds('service not in ["checkout"]', checkout)).toBe(false);
  });

  it('compares an absent label as the empty string', () => {
    expect(holds('team == ""', checkout)).toBe(true);
    expect(holds('team != ""', checkout)).toBe(false);
    expect(holds('team == "payments"', checkout)).toBe(false);
  });

  it('never reads inherited properties: __proto__, constructor and toString are absent labels', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype']) {
      expect(holds(`${name} == ""`, {}), name).toBe(true);
      expect(holds(`${name} != ""`, {}), name).toBe(false);
    }
    const own = JSON.parse('{"__proto__": "x", "constructor": "y"}') as Record<string, string>;
    expect(holds('__proto__ == "x" AND constructor == "y"', own)).toBe(true);
  });

  it('refuses unknown operators with the column where they stand', () => {
    const cases: [string, number, RegExp][] = [
      ['severity = "critical"', 10, /unknown operator "="/],
      ['severity > "a"', 10, /unknown operator ">"/],
      ['severity =~ "crit.*"', 10, /unknown operator "=~"/],
      ['a == "x" + "y"', 10, /unknown operator "\+"/],
      ['a == b', 6, /expected a quoted string, found "b"/],
      ['a == "x" b == "y"', 10, /expected AND, OR or the end/],
      ['process.exit(1)', 8, /unknown operator "\."/],
      ['a == "x" AND', 13, /expected a label name, found the end/],
      ['(a == "x"', 10, /expected "\)"/],
      ['a == "unterminated', 6, /never closed/],
      ['a == "bad \\x escape"', 11, /unknown escape/],
      ['', 1, /empty/],
      ['a in ["x",]', 11, /expected a quoted string/],
    ];
    for (const [text, column, message] of cases) {
      const err = parseError(text);
      expect(err.column, text).toBe(column);
      expect(err.message, text).toMatch(message);
      expect(err.message, text).toMatch(new RegExp(`^at column ${column}: `));
    }
  });

  it('refuses hostile sizes quickly: huge, deeply nested, too many comparisons, long strings', () => {
    const started = performance.now();
    expect(parseError('a == "x" OR '.repeat(1000)).message).toMatch(/longer than 2000 characters/);
    expect(parseError(`${'('.repeat(500)}a == "x"${')'.repeat(500)}`).message).toMatch(
      /longer than|nested deeper/,
    );
    expect(parseError(`${'('.repeat(40)}a == "x"${')'.repeat(40)}`).message).toMatch(/nested deeper than 16/);
    expect(parseError(`${'!'.repeat(100)}a == "x"`).message).toMatch(/nested deeper than 16/);
    expect(parseError(Array.from({ length: 70 }, () => 'a=="x"').join('||')).message).toMatch(
      /more than 64 comparisons/,
    );
    expect(parseError(`a == "${'x'.repeat(300)}"`).message).toMatch(/longer than 256/);
    expect(parseError(`a in [${Array.from({ length: 150 }, () => '"x"').join(',')}]`).message).toMatch(
      /more than 100/,
    );
    expect(parseError(`${'a'.repeat(200)} == "x"`).message).toMatch(/label name longer/);
    expect(performance.now() - started).toBeLessThan(1000);
    // The deepest allowed still parses and evaluates.
    const deep = `${'('.repeat(CONDITION_LIMITS.depth)}a == "x"${')'.repeat(CONDITION_LIMITS.depth)}`;
    expect(holds(deep, { a: 'x' })).toBe(true);
  });
});

describe("a rule's channels and recipients", () => {
  it('map onto escalation targets by the form of each recipient', () => {
    expect(
      ruleTargets(
        ['slack', 'email', 'webhook', 'rotation', 'log'],
        ['oncall@company.com', '#ops', 'C0123ABCD9', 'https://hooks.example/x', 'env:ONCALL_HOOK', 'primary'],
      ),
    ).toEqual({
      targets: [
        { type: 'slack', channel: '#ops' },
        { type: 'slack', channel: 'C0123ABCD9' },
        { type: 'email', to: ['oncall@company.com'] },
        { type: 'webhook', url: 'https://hooks.example/x' },
        { type: 'webhook', url: { secret: { env: 'ONCALL_HOOK' } } },
        { type: 'rotation', rotation: 'primary' },
        { type: 'log' },
      ],
    });
    expect(
      ruleTargets(['teams', 'webhook'], ['teams:https://t.example/a', 'webhook:https://w.example/b']),
    ).toEqual({
      targets: [
        { type: 'teams', url: 'https://t.example/a' },
        { type: 'webhook', url: 'https://w.example/b' },
      ],
    });
  });

  it('refuses unknown channels, recipients that fit none or several, and channels left without one', () => {
    const problems = (c: string[], r: string[]) =>
      'problems' in ruleTargets(c, r) ? ruleTargets(c, r) : { problems: [] };
    expect(problems(['pager'], [])).toMatchObject({
      problems: [{ field: 'channels', message: /unknown channel "pager"/ }],
    });
    expect(problems(['__proto__'], [])).toMatchObject({ problems: [{ message: /unknown channel/ }] });
    expect(problems(['email'], ['not an address'])).toMatchObject({
      problems: [{ index: 0, message: /fits none/ }],
    });
    expect(problems(['teams', 'discord'], ['https://x.example/a'])).toMatchObject({
      problems: [{ message: /fits teams and discord: write it as teams:/ }],
    });
    expect(problems(['slack', 'email'], ['#ops'])).toMatchObject({
      problems: [{ message: /channel email has no recipient/ }],
    });
    expect(problems(['email'], ['slack:#ops'])).toMatchObject({
      problems: [{ message: /names channel slack/ }],
    });
    expect(problems(['webhook'], ['javascript:alert(1)'])).toMatchObject({
      problems: [{ message: /fits none/ }],
    });
  });
});

describe('a whole rule', () => {
  const rule = (
    over: Partial<RuleDefinition> = {},
    escalation: Partial<RuleDefinition['escalation']> = {},
  ): RuleDefinition => ({
    name: 'High CPU Escalation',
    condition: 'severity == "critical" AND service == "event-bridge-kafka"',
    escalation: {
      delay: 300,
      channels: ['slack', 'email'],
      recipients: ['oncall@company.com', '#ops'],
      ...escalation,
    },
    ...over,
  });

  it("accepts seed 001's example and says where each problem is", () => {
    expect(checkRule(rule())).toEqual([]);
    const problems = checkRule(rule({ name: ' padded', condition: 'severity === "x"' }, { delay: -1 }));
    expect(problems.map((p) => p.path.join('.'))).toEqual(['name', 'condition', 'escalation.delay']);
    expect(problems[1]).toEqual({
      path: ['condition'],
      message: 'at column 10: unknown operator "===": use ==, !=, in, AND, OR, NOT',
      column: 10,
    });
    expect(problems[2]?.message).toMatch(/at most 7 days/);
  });

  it('matches by labels and orders the levels by delay', () => {
    const rules = [
      rule({ name: 'late' }, { delay: '10m' }),
      rule({ name: 'other', condition: 'service == "search"' }),
      rule({ name: 'early' }, { delay: 60 }),
    ];
    const levels = matchingLevels(rules, { severity: 'critical', service: 'event-bridge-kafka' });
    expect(levels.map((l) => [l.rule, l.delayMs])).toEqual([
      ['early', 60_000],
      ['late', 600_000],
    ]);
  });
});

describe("merging rules into a runbook's escalation", () => {
  const log = [{ type: 'log' as const }];
  const plan = {
    timeoutMs: 300_000,
    levels: [{ notify: log, waitMs: 600_000 }],
    finalPolicy: 'abort' as const,
  };

  it('puts each rule at its delay from the start of the wait, and the final policy where it was', () => {
    const merged = mergeRuleLevels(plan, [
      { rule: 'first', delayMs: 60_000, notify: log },
      { rule: 'middle', delayMs: 600_000, notify: log },
    ]);
    // Moments: first 1m, runbook 5m, middle 10m, end 15m.
    expect(merged.timeoutMs).toBe(60_000);
    expect(merged.levels.map((l) => [l.rule, l.waitMs])).toEqual([
      ['first', 240_000],
      [undefined, 300_000],
      ['middle', 300_000],
    ]);
  });

  it('tells a rule later than the chain before the final policy, and leaves a plan without rules as it was', () => {
    const merged = mergeRuleLevels(plan, [{ rule: 'late', delayMs: 3_600_000, notify: log }]);
    expect(merged.levels.map((l) => [l.rule, l.waitMs])).toEqual([
      [undefined, 3_300_000],
      ['late', 0],
    ]);
    expect(mergeRuleLevels(plan, [])).toBe(plan);
  });
});
