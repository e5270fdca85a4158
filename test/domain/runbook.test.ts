import { describe, expect, it } from 'vitest';
import { PlaceholderError, promqlPlaceholdersMisplaced } from '../../src/domain/placeholder.js';
import {
  matchRunbooks,
  parseRunbook,
  planFromRunbook,
  RunbookError,
  BlastRadiusError,
  runbookWarnings,
  verifyApartReason,
  verifyServerReason,
  type PlanDefaults,
  type Runbook,
  type RunbookProblem,
} from '../../src/domain/runbook.js';

/** A deployment with one Prometheus: no check can be asked of another. */
const ONE_SERVER = { approvers: ['alice'], prometheus: ['http://prometheus:9090'] };

const VALID = `# Memory pressure: give the container more room, restart it, then check.
title: Raise memory and restart
description: The container runs out of memory.
match:
  alertnames: [ContainerMemoryHigh]
  labels:
    env: prod
risk: medium
approvers: [alice, bob]
approval:
  timeout: 15m
  escalation:
    - notify: [{ type: log }]
      wait: 5m
    - notify:
        - type: webhook
          url: https://hooks.example.com/escalate
      wait: 10m
  finalPolicy: abort
steps:
  - action: docker.update-resources
    container: '{{ labels.container }}'
    memory: 256Mi
    cpus: 0.5
  - action: docker.restart
    container: '{{ labels.container }}'
    stopTimeout: 30s
  - action: wait
    duration: 1m
scope:
  docker:
    labels: { com.docker.compose.project: shop }
verify:
  promql: 'container_memory_ratio{name="{{ labels.container }}"} < 0.9'
  within: 5m
  interval: 15s
`;

/** The runbook problems a parse throws, or an empty list when it parses. */
function problemsOf(file: string, text: string): RunbookProblem[] {
  try {
    parseRunbook(file, text);
    return [];
  } catch (error) {
    if (error instanceof RunbookError) return error.problems;
    throw error;
  }
}

/** 1-based line number of the first line of `text` that contains `needle`. */
function lineContaining(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index === -1) throw new Error(`no line contains ${needle}`);
  return index + 1;
}

function minimal(id: string, risk: 'low' | 'medium' | 'high', match: string): Runbook {
  return parseRunbook(
    `runbooks/${id}.yaml`,
    `title: ${id}\nmatch: ${match}\nrisk: ${risk}\nsteps:\n  - action: wait\n    duration: 1s\n`,
  );
}

const DEFAULTS: PlanDefaults = { approvers: ['bob', 'carol'], dryRun: false };
const FACTS = {
  alertName: 'ContainerMemoryHigh',
  labels: { alertname: 'ContainerMemoryHigh', env: 'prod', container: 'checkout-1' },
};

describe('parseRunbook', () => {
  it('when the YAML is valid, then the runbook parses with defaults filled in and an id from the file name', () => {
    const runbook = parseRunbook('runbooks/memory-high.yaml', VALID);

    expect(runbook.id).toBe('memory-high');
    expect(runbook.file).toBe('runbooks/memory-high.yaml');
    expect(runbook.title).toBe('Raise memory and restart');
    expect(runbook.risk).toBe('medium');
    expect(runbook.dryRun).toBe(false);
    expect(runbook.match).toEqual({ alertnames: ['ContainerMemoryHigh'], labels: { env: 'prod' } });
    expect(runbook.steps[0]).toEqual({
      action: 'docker.update-resources',
      container: '{{ labels.container }}',
      memory: 268_435_456,
      cpus: 0.5,
    });
  });

  it('when the file name ends in .yml, then the extension is dropped from the id too', () => {
    const runbook = parseRunbook('dir/sub/restart-it.yml', VALID);

    expect(runbook.id).toBe('restart-it');
  });

  it('when the runbook sets an id, then it wins over the file name', () => {
    const runbook = parseRunbook('runbooks/whatever.yaml', `id: memory-fix\n${VALID}`);

    expect(runbook.id).toBe('memory-fix');
  });

  it('when optional sections are left out, then approval and verify take their defaults', () => {
    const runbook = minimal('bare', 'low', '{ alertnames: [X] }');

    expect(runbook.approvers).toEqual([]);
    expect(runbook.approval).toEqual({ timeout: '15m', escalation: [], finalPolicy: 'abort' });
    expect(runbook.verify).toEqual({ within: '5m', interval: '10s' });
  });

  it('when the YAML has a syntax error, then a RunbookError says so with the file and a (yaml) field', () => {
    const text = 'title: x\nmatch:\n  alertnames: [A\nrisk: low\n';

    const parse = (): Runbook => parseRunbook('runbooks/broken.yaml', text);

    expect(parse).toThrow(RunbookError);
    const [problem] = problemsOf('runbooks/broken.yaml', text);
    expect(problem?.file).toBe('runbooks/broken.yaml');
    expect(problem?.field).toBe('(yaml)');
    expect(problem?.message.length).toBeGreaterThan(0);
  });

  // Bug: parseRunbook passes prettyErrors: false to parseDocument, so the yaml library never fills
  // in error.linePos and every YAML syntax error is reported at line 1. error.pos[0] is set, and
  // counter.linePos(error.pos[0]) would give the right line.
  it('when the YAML has a syntax error, then the RunbookError gives its line number', () => {
    const text = ['title: x', 'match:', '  alertnames: [A]', 'risk: low', 'risk: high', 'steps: []', ''].join(
      '\n',
    );

    const problems = problemsOf('runbooks/broken.yaml', text);

    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(lineContaining(text, 'risk: high'));
  });

  it('when a step deep in the list has a bad field, then the problem names its line and field path', () => {
    const text = VALID.replace('memory: 256Mi', 'memory: lots').replace(
      "  - action: docker.update-resources\n    container: '{{ labels.container }}'\n    memory: lots",
      "  - action: wait\n    duration: 5s\n  - action: docker.update-resources\n    container: '{{ labels.container }}'\n    memory: lots",
    );

    const problems = problemsOf('runbooks/memory-high.yaml', text);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      file: 'runbooks/memory-high.yaml',
      field: 'steps.1.memory',
      line: lineContaining(text, 'memory: lots'),
      message: 'a size such as 256Mi, 1Gi or 512M',
    });
    expect(problems[0]?.line).toBe(25);
  });

  it('when the error is thrown, then its message lists file:line: field: message', () => {
    const text = VALID.replace('within: 5m', 'within: soon');

    const parse = (): Runbook => parseRunbook('runbooks/m.yaml', text);

    expect(parse).toThrow(
      `runbooks/m.yaml:${lineContaining(text, 'within: soon')}: verify.within: a duration`,
    );
  });

  it('when there is an unknown top-level key, then it is refused', () => {
    const text = `owner: bob\n${VALID}`;

    const problems = problemsOf('runbooks/x.yaml', text);

    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe('(runbook)');
    expect(problems[0]?.message).toContain('owner');
  });

  it('when a step has an unknown key, then it is refused at that step', () => {
    const text = VALID.replace('    stopTimeout: 30s', '    stopTimeout: 30s\n    force: true');

    const problems = problemsOf('runbooks/x.yaml', text);

    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe('steps.1');
    expect(problems[0]?.message).toContain('force');
  });

  it('when a high-risk runbook would auto-approve, then it is refused at approval.finalPolicy', () => {
    const text = VALID.replace('risk: medium', 'risk: high').replace(
      'finalPolicy: abort',
      'finalPolicy: auto-approve',
    );

    const problems = problemsOf('runbooks/x.yaml', text);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      field: 'approval.finalPolicy',
      line: lineContaining(text, 'finalPolicy: auto-approve'),
    });
    expect(problems[0]?.message).toContain('low-risk');
  });

  it('when a low-risk runbook auto-approves, then it is accepted', () => {
    const text = VALID.replace('risk: medium', 'risk: low').replace(
      'finalPolicy: abort',
      'finalPolicy: auto-approve',
    );

    const runbook = parseRunbook('runbooks/x.yaml', text);

    expect(runbook.approval.finalPolicy).toBe('auto-approve');
  });

  it('when an update-resources step sets neither memory nor cpus, then it is refused', () => {
    const text = VALID.replace('    memory: 256Mi\n    cpus: 0.5\n', '');

    const problems = problemsOf('runbooks/x.yaml', text);

    expect(problems.map((p) => p.message)).toContain('set memory, cpus or both');
  });

  it('when match is empty, then it is refused at match', () => {
    const text = 'title: t\nmatch: {}\nrisk: low\nsteps:\n  - action: wait\n    duration: 1s\n';

    const problems = problemsOf('runbooks/x.yaml', text);

    expect(problems).toEqual([
      { file: 'runbooks/x.yaml', line: 2, field: 'match', message: 'match needs alertnames, labels or both' },
    ]);
  });

  it('when a webhook escalation URL is not http(s), then it is refused', () => {
    const text = VALID.replace('https://hooks.example.com/escalate', 'ftp://hooks.example.com/escalate');

    const problems = problemsOf('runbooks/x.yaml', text);

    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe('approval.escalation.1.notify.0.url');
  });

  it.each([
    ['256Mi', 268_435_456],
    ['1Gi', 1_073_741_824],
    ['512M', 512_000_000],
    ['64k', 64_000],
    ['2KiB', 2048],
    ['1.5Gi', 1_610_612_736],
    ["'1024'", 1024],
    ['1024', 1024],
  ])('when memory is %s, then it is read as %d bytes', (memory, bytes) => {
    const text = VALID.replace('memory: 256Mi', `memory: ${memory}`);

    const runbook = parseRunbook('runbooks/x.yaml', text);

    expect(runbook.steps[0]).toMatchObject({ memory: bytes });
  });
});

describe('matchRunbooks', () => {
  const facts = { alertName: 'ServiceDown', labels: { alertname: 'ServiceDown', env: 'prod', team: 'shop' } };

  it('when a runbook matches alertname and labels, then it comes before one matching the alertname only', () => {
    const byName = minimal('a-by-name', 'low', '{ alertnames: [ServiceDown] }');
    const byNameAndLabel = minimal(
      'z-by-name-and-label',
      'high',
      '{ alertnames: [ServiceDown], labels: { env: prod } }',
    );

    const matched = matchRunbooks([byName, byNameAndLabel], facts);

    expect(matched.map((r) => r.id)).toEqual(['z-by-name-and-label', 'a-by-name']);
  });

  it('when runbooks are equally specific, then the lower risk comes first, then the id', () => {
    const high = minimal('a-high', 'high', '{ alertnames: [ServiceDown] }');
    const lowB = minimal('b-low', 'low', '{ alertnames: [ServiceDown] }');
    const lowA = minimal('a-low', 'low', '{ labels: { env: prod } }');
    const medium = minimal('a-medium', 'medium', '{ alertnames: [ServiceDown] }');

    const matched = matchRunbooks([high, lowB, medium, lowA], facts);

    expect(matched.map((r) => r.id)).toEqual(['a-low', 'b-low', 'a-medium', 'a-high']);
  });

  it('when a runbook names another alert or a label value that differs, then it does not match', () => {
    const otherAlert = minimal('other-alert', 'low', '{ alertnames: [DiskFull] }');
    const otherEnv = minimal('other-env', 'low', '{ alertnames: [ServiceDown], labels: { env: staging } }');
    const missingLabel = minimal('missing-label', 'low', '{ labels: { region: eu } }');
    const anyOf = minimal('any-of', 'low', '{ alertnames: [DiskFull, ServiceDown] }');

    const matched = matchRunbooks([otherAlert, otherEnv, missingLabel, anyOf], facts);

    expect(matched.map((r) => r.id)).toEqual(['any-of']);
  });

  it('when nothing matches, then the list is empty', () => {
    const matched = matchRunbooks([minimal('x', 'low', '{ alertnames: [Nope] }')], facts);

    expect(matched).toEqual([]);
  });
});

describe('planFromRunbook', () => {
  const runbook = parseRunbook('runbooks/memory-high.yaml', VALID);

  it('when the alert has the labels, then containers are filled and sizes converted for Docker', () => {
    const plan = planFromRunbook(runbook, FACTS, DEFAULTS);

    expect(plan.steps).toEqual([
      {
        action: 'docker.update-resources',
        container: 'checkout-1',
        memoryBytes: 268_435_456,
        nanoCpus: 500_000_000,
      },
      { action: 'docker.restart', container: 'checkout-1', stopTimeoutSeconds: 30 },
      { action: 'wait', ms: 60_000 },
    ]);
  });

  it('when the runbook has a verify query, then its placeholders are filled and durations are in ms', () => {
    const plan = planFromRunbook(runbook, FACTS, DEFAULTS);

    expect(plan.verification).toEqual({
      promql: 'container_memory_ratio{name="checkout-1"} < 0.9',
      withinMs: 300_000,
      intervalMs: 15_000,
    });
  });

  it('when a label in the verify query is empty, then no plan is made: an empty matcher selects series without the label', () => {
    const plan = (): unknown =>
      planFromRunbook(runbook, { ...FACTS, labels: { ...FACTS.labels, container: '' } }, DEFAULTS);

    expect(plan).toThrow(PlaceholderError);
  });

  it('when the runbook escalates, then the levels carry their targets and waits in ms', () => {
    const plan = planFromRunbook(runbook, FACTS, {
      ...DEFAULTS,
      escalationWebhookUrl: 'https://default.example',
    });

    expect(plan.escalation).toEqual({
      timeoutMs: 900_000,
      levels: [
        { notify: [{ type: 'log' }], waitMs: 300_000 },
        { notify: [{ type: 'webhook', url: 'https://hooks.example.com/escalate' }], waitMs: 600_000 },
      ],
      finalPolicy: 'abort',
    });
  });

  it('when approvers overlap with the defaults, then they are merged without duplicates, runbook first', () => {
    const plan = planFromRunbook(runbook, FACTS, DEFAULTS);

    expect(plan.approvers).toEqual(['alice', 'bob', 'carol']);
  });

  it('when the runbook has no escalation and a default webhook is set, then a default level is added', () => {
    const bare = minimal('bare', 'low', '{ alertnames: [ContainerMemoryHigh] }');

    const plan = planFromRunbook(bare, FACTS, {
      ...DEFAULTS,
      escalationWebhookUrl: 'https://hooks.example/x',
    });

    expect(plan.escalation.levels).toEqual([
      { notify: [{ type: 'log' }, { type: 'webhook', url: 'https://hooks.example/x' }], waitMs: 900_000 },
    ]);
  });

  it('when the runbook has no escalation and no default webhook, then there are no levels', () => {
    const bare = minimal('bare', 'low', '{ alertnames: [ContainerMemoryHigh] }');

    const plan = planFromRunbook(bare, FACTS, DEFAULTS);

    expect(plan.escalation.levels).toEqual([]);
    expect(plan.verification).toEqual({ withinMs: 300_000, intervalMs: 10_000 });
  });

  it('when the plan is made, then its explanation names the runbook, what matched and the actions', () => {
    const plan = planFromRunbook(runbook, FACTS, DEFAULTS);

    expect(plan.runbookId).toBe('memory-high');
    expect(plan.title).toBe('Raise memory and restart');
    expect(plan.risk).toBe('medium');
    expect(plan.explanation).toContain('Runbook "memory-high"');
    expect(plan.explanation).toContain('fits alert ContainerMemoryHigh, env=prod');
    expect(plan.explanation).toContain('set memory 256MiB, cpus 0.5 on container checkout-1');
    expect(plan.explanation).toContain('then restart container checkout-1');
    expect(plan.explanation).toContain('then wait 60s');
    expect(plan.explanation).toContain('checks container_memory_ratio{name="checkout-1"} < 0.9 within 5m');
    expect(plan.explanation).toContain('(medium risk)');
  });

  it('when there is no verify query, then the explanation says the alerts must resolve', () => {
    const bare = minimal('bare', 'low', '{ alertnames: [ContainerMemoryHigh] }');

    const plan = planFromRunbook(bare, FACTS, DEFAULTS);

    expect(plan.explanation).toContain('checks that the alerts resolve');
  });

  it('when either the runbook or the defaults ask for a dry run, then the plan is a dry run', () => {
    const dry = parseRunbook('runbooks/dry.yaml', `dryRun: true\n${VALID}`);

    expect(planFromRunbook(runbook, FACTS, DEFAULTS).dryRun).toBe(false);
    expect(planFromRunbook(runbook, FACTS, { ...DEFAULTS, dryRun: true }).dryRun).toBe(true);
    expect(planFromRunbook(dry, FACTS, DEFAULTS).dryRun).toBe(true);
  });

  it('when a container label carries an injection, then the plan is refused with the step field', () => {
    const facts = { ...FACTS, labels: { ...FACTS.labels, container: 'web; rm -rf /' } };

    const plan = (): unknown => planFromRunbook(runbook, facts, DEFAULTS);

    expect(plan).toThrow(PlaceholderError);
    expect(plan).toThrow(/^steps\.0\.container: /);
  });

  it('when the alert lacks a label the runbook needs, then the plan is refused naming it', () => {
    const facts = { alertName: 'ContainerMemoryHigh', labels: { env: 'prod' } };

    const plan = (): unknown => planFromRunbook(runbook, facts, DEFAULTS);

    expect(plan).toThrow('steps.0.container: the alert has no label "container"');
  });
});

describe('guards in the plan', () => {
  const twoContainers = (guards: string) => `
title: Restart two
match: { alertnames: [Pair] }
risk: low
guards: ${guards}
steps:
  - { action: docker.restart, container: '{{ labels.container }}' }
  - { action: docker.restart, container: '{{ labels.peer }}' }
  - { action: docker.update-resources, container: '{{ labels.container }}', memory: 1Gi }
scope: { docker: { names: ['web-*'] } }
`;
  const facts = { alertName: 'Pair', labels: { container: 'web-1', peer: 'web-2' } };

  it('when the runbook sets no guards, then the defaults apply', () => {
    const plan = planFromRunbook(parseRunbook('pair.yaml', twoContainers('{}')), facts, DEFAULTS);
    expect(plan.guards).toEqual({
      cooldownMs: 300_000,
      maxActionsPerTarget: 3,
      windowMs: 3_600_000,
      maxTargets: 3,
    });
  });

  it('when the runbook sets its own, then they replace the defaults field by field', () => {
    const plan = planFromRunbook(
      parseRunbook('pair.yaml', twoContainers('{ cooldown: 0s, window: 2h }')),
      facts,
      DEFAULTS,
    );
    expect(plan.guards).toEqual({
      cooldownMs: 0,
      maxActionsPerTarget: 3,
      windowMs: 7_200_000,
      maxTargets: 3,
    });
  });

  it('when the plan would touch more targets than allowed, then it is refused before anything runs', () => {
    const runbook = parseRunbook('pair.yaml', twoContainers('{ maxTargets: 1 }'));
    expect(() => planFromRunbook(runbook, facts, DEFAULTS)).toThrow(BlastRadiusError);
    expect(() => planFromRunbook(runbook, facts, DEFAULTS)).toThrow(
      "the plan would touch 2 targets (docker/container/web-1, docker/container/web-2), more than this runbook's limit of 1",
    );
    // The same container twice is one target.
    expect(() =>
      planFromRunbook(runbook, { ...facts, labels: { container: 'web-1', peer: 'web-1' } }, DEFAULTS),
    ).not.toThrow();
  });
});

describe("an http.call's target, as the guards count it", () => {
  const flushTwice = parseRunbook(
    'flush.yaml',
    `
title: Flush twice
match: { alertnames: [Flush] }
risk: low
guards: { maxTargets: 1 }
steps:
  - { action: http.call, url: 'http://{{ labels.host }}/tenants/{{ labels.tenant }}/flush' }
  - { action: http.call, url: 'http://{{ labels.peer }}/tenants/{{ labels.other }}/flush?now=1' }
scope: { http: { hosts: ['cache.internal', 'cache.internal.'] } }
`,
  );
  const plan = (labels: Record<string, string>) => () =>
    planFromRunbook(flushTwice, { alertName: 'Flush', labels }, DEFAULTS);

  it("when two steps call one endpoint spelt apart by a label's case or a host's trailing dot, then that is one target", () => {
    expect(
      plan({ host: 'cache.internal', peer: 'CACHE.internal.', tenant: 'Checkout', other: 'checkout' }),
    ).not.toThrow();
  });

  it('when they call two endpoints, then they are two targets', () => {
    expect(
      plan({ host: 'cache.internal', peer: 'cache.internal', tenant: 'checkout', other: 'payments' }),
    ).toThrow(
      'the plan would touch 2 targets (http/cache.internal/tenants/checkout/flush, http/cache.internal/tenants/payments/flush)',
    );
  });
});

describe('matching on findings', () => {
  const rollback = parseRunbook(
    'rollback.yaml',
    `
title: Roll back
match: { alertnames: [HighErrorRate], findings: { trend: rising, minAnomalyScore: 0.8 } }
risk: high
steps: [{ action: k8s.rollback, deployment: web }]
scope: { kubernetes: { namespaces: [default] } }
`,
  );
  const restart = parseRunbook(
    'restart.yaml',
    `
title: Restart
match: { alertnames: [HighErrorRate] }
risk: low
steps: [{ action: docker.restart, container: web }]
scope: { docker: { names: [web] } }
`,
  );

  it('when the findings fit, then the runbook that asks for them is the more specific match', () => {
    const matched = matchRunbooks([restart, rollback], {
      alertName: 'HighErrorRate',
      labels: {},
      findings: { trend: 'rising', anomalyScore: 0.93 },
    });
    expect(matched.map((r) => r.id)).toEqual(['rollback', 'restart']);
  });

  it('when the findings differ or are unknown, then a runbook that asks for them does not match', () => {
    for (const findings of [
      { trend: 'flat' as const, anomalyScore: 0.95 },
      { trend: 'rising' as const, anomalyScore: 0.5 },
      undefined,
    ]) {
      const matched = matchRunbooks([restart, rollback], {
        alertName: 'HighErrorRate',
        labels: {},
        ...(findings ? { findings } : {}),
      });
      expect(matched.map((r) => r.id)).toEqual(['restart']);
    }
  });
});

describe('verifyApartReason', () => {
  it('when the check reads only labels the steps read, then there is nothing to say', () => {
    expect(verifyApartReason(parseRunbook('runbooks/memory-high.yaml', VALID))).toBeUndefined();
  });

  it('when the check reads a label no step reads, then it names it: the sender could aim the check elsewhere', () => {
    const apart = VALID.replace(
      '{name="{{ labels.container }}"}',
      '{job="{{ labels.job }}",env="{{ labels.env }}"}',
    );

    expect(verifyApartReason(parseRunbook('runbooks/memory-high.yaml', apart))).toBe(
      "runbook memory-high: verify.promql reads labels.job, labels.env, which no step reads: an alert's " +
        'sender can aim the check at another object than the fix acts on; select the series by the labels the steps use',
    );
  });

  it('when there is no verify query, then the alerts decide and there is nothing to say', () => {
    expect(verifyApartReason(minimal('waits', 'low', '{ alertnames: [X] }'))).toBeUndefined();
  });
});

describe('where a check splices a label', () => {
  it.each([
    ['a label value matched with =', 'up{container="{{ labels.container }}"} == 1'],
    ['one matched with !=, in single quotes', "up{container!='{{ labels.container }}'}"],
    [
      'two labels in one value, beside another matcher',
      'up{job="a",name="{{ labels.ns }}-{{ labels.pod }}"}',
    ],
  ])('when it is %s, then it is in place', (_label, promql) => {
    expect(promqlPlaceholdersMisplaced(promql)).toEqual([]);
  });

  it.each([
    ['a regular expression', 'up{container=~"{{ labels.container }}"}', ['container']],
    ['a number', 'time() > bool {{ labels.after }}', ['after']],
    ['a metric name', '{{ labels.metric }} < 1', ['metric']],
    ['a string that does not close', 'up{container="{{ labels.container }}', ['container']],
    ['a quoted string compared with ==', 'x == "{{ labels.v }}"', ['v']],
    // A quote before it that belongs to a string already closed: the value is bare PromQL.
    ['after a string that holds =', 'up{job="a="} * {{ labels.c }} + up{x="b"}', ['c']],
    ['a string argument of a function', 'label_replace(up, "dst", "{{ labels.v }}", "src", "(.*)")', ['v']],
  ])('when it is %s, then the label is named', (_label, promql, names) => {
    expect(promqlPlaceholdersMisplaced(promql)).toEqual(names);
  });

  it.each([
    ['one server, none named', undefined, ['http://p1:9090'], undefined],
    [
      'two servers, none named',
      undefined,
      ['http://p1:9090', 'http://p2:9090'],
      /2 Prometheus servers are configured and verify\.prometheus names none/,
    ],
    ['two servers, one named', 'http://p2:9090', ['http://p1:9090', 'http://p2:9090'], undefined],
    [
      'a server that is not configured',
      'http://p3:9090',
      ['http://p1:9090'],
      /verify\.prometheus http:\/\/p3:9090 is not a configured Prometheus/,
    ],
  ])(
    'when a runbook checks with %s, then verifyServerReason says so or not',
    (_what, named, servers, reason) => {
      const text = VALID.replace('verify:\n', `verify:\n${named ? `  prometheus: ${named}\n` : ''}`);
      const runbook = parseRunbook('runbooks/memory-high.yaml', text);
      const said = verifyServerReason(runbook, servers);

      if (reason) expect(said).toMatch(reason);
      else expect(said).toBeUndefined();
      expect(runbook.verify.prometheus).toBe(named);
    },
  );

  it('when a runbook splices a label outside a quoted value, then its warnings say so, with the shipped ones silent', () => {
    const regex = VALID.replace('{name="{{ labels.container }}"}', '{name=~"{{ labels.container }}"}');

    expect(runbookWarnings(parseRunbook('runbooks/memory-high.yaml', VALID), ONE_SERVER)).toEqual([]);
    expect(runbookWarnings(parseRunbook('runbooks/memory-high.yaml', regex), ONE_SERVER)).toEqual([
      {
        event: 'runbook.verify-placement',
        message:
          'runbook memory-high: verify.promql puts labels.container outside a quoted label value matched with = or !=: ' +
          "there an alert's sender writes PromQL (a metric, a number) or, after =~, a regular expression; " +
          'write it as up{container="{{ labels.container }}"} (until then no policy approves its plans: people decide)',
      },
    ]);
  });

  it("when a low-risk runbook's check is written in part by the alert's sender, then no policy approves its plan", () => {
    const low = VALID.replace('risk: medium', 'risk: low').replace(
      'finalPolicy: abort',
      'finalPolicy: auto-approve',
    );
    const aimed = low.replace('{name="{{ labels.container }}"}', '{name=~"{{ labels.container }}"}');
    const policy = { ...DEFAULTS, autoApproveLowRisk: true };

    const fine = planFromRunbook(parseRunbook('runbooks/memory-high.yaml', low), FACTS, policy);
    expect([fine.approval, fine.escalation.finalPolicy]).toEqual(['immediate', 'auto-approve']);
    const plan = planFromRunbook(parseRunbook('runbooks/memory-high.yaml', aimed), FACTS, policy);
    expect([plan.approval, plan.escalation.finalPolicy]).toEqual(['people', 'abort']);
    expect(plan.explanation).toContain(
      'No policy approves it: runbook memory-high: verify.promql puts labels.container outside a quoted label value',
    );
  });
});
