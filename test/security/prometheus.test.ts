import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTriageActivities, type TriageConfig } from '../../src/activities/triage.js';
import { PrometheusClient } from '../../src/activities/prometheus-client.js';
import type { Alert } from '../../src/domain/alert.js';
import { alertExpression, PrometheusServers, type AlertExpression } from '../../src/domain/metrics-source.js';
import { parseRunbook, runbookWarnings } from '../../src/domain/runbook.js';
import { approveUpdate } from '../../src/workflows/messages.js';
import { testActivities } from '../support/activities.js';
import {
  alertRules,
  startMetricsTarget,
  startPrometheus,
  waitForSamples,
  type MetricsTarget,
  type RunningPrometheus,
} from '../support/prometheus.js';
import { atStage, makeAlert, startIncident, waitForState } from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';
import {
  json,
  matrixAnswer,
  startPrometheusStandIn,
  streamEndlessly,
  type PrometheusStandIn,
} from './support/prometheus-standin.js';

const TRIAGE = { detectWindowMs: 60_000, detectStepMs: 1000, detectRecentMs: 5000, seasonalOffsetsMs: [] };
const RULE = 'attack_ratio{job="web"} > 0.05';
/** The rule a configured server evaluates, whose alerts these tests send. */
const RULES = [{ alert: 'AttackRatioHigh', expr: RULE }];

const graph = (base: string, expr = RULE): string =>
  `${base}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=1`;

function alertFrom(generatorURL: string | undefined, annotations: Record<string, string> = {}): Alert {
  return makeAlert({
    alertName: 'AttackRatioHigh',
    labels: { job: 'web' },
    annotations: { summary: 'attack ratio high', ...annotations },
    ...(generatorURL ? { generatorURL } : {}),
  });
}

/** Why an alert's expression was not read, or undefined when it was. */
const refusal = (source: AlertExpression): string | undefined => (source.ok ? undefined : source.message);

const triage = (config: Partial<TriageConfig>) => createTriageActivities({ ...TRIAGE, ...config });

describe('which Prometheus an alert can make Steadfast ask', () => {
  const CONFIGURED = 'http://127.0.0.1:9090';
  const servers = new PrometheusServers([CONFIGURED, 'https://metrics.example:8443/prom']);

  it.each([
    ['another port', 'http://127.0.0.1:9091'],
    ['another scheme', 'https://127.0.0.1:9090'],
    ['another name for the same host', 'http://localhost:9090'],
    ['the configured address as a user name', 'http://127.0.0.1:9090@evil.example'],
    ['the configured address as a subdomain', 'http://127.0.0.1.evil.example:9090'],
    ['the configured address in its query string', 'http://evil.example/x?u=http://127.0.0.1:9090'],
    ['the configured path on another host', 'http://evil.example:8443/prom'],
  ])('when the generatorURL has %s, then its expression is ignored and the host is named', (_label, base) => {
    const source = alertExpression(alertFrom(graph(base)), servers);

    expect(source.ok).toBe(false);
    expect(refusal(source)).toBe(
      `no anomaly score: the alert's generatorURL points at ${new URL(base).origin}, which is not a configured Prometheus (PROMETHEUS_URL, STEADFAST_PROMETHEUS_URLS); its expression was ignored and nothing was asked of that host`,
    );
  });

  it.each([
    ['javascript:', 'javascript:alert(1)//graph?g0.expr=up'],
    ['file:', 'file:///etc/passwd?g0.expr=up'],
    ['no URL at all', 'not a url'],
  ])('when the generatorURL is %s, then nothing is read', (_label, url) => {
    const source = alertExpression(alertFrom(url), servers);

    expect(refusal(source)).toBe(
      "no anomaly score: the alert's generatorURL is not an http(s) URL; its expression was ignored",
    );
  });

  it("when the generatorURL has a configured origin, then the configured URL is asked, not the alert's path", () => {
    const source = alertExpression(alertFrom(graph('HTTP://127.0.0.1:9090/elsewhere')), servers);
    const prefixed = alertExpression(alertFrom(graph('https://metrics.example:8443/prom')), servers);

    expect(source).toEqual({ ok: true, prometheusUrl: CONFIGURED, expression: RULE, rule: RULE });
    expect(prefixed).toEqual({
      ok: true,
      prometheusUrl: 'https://metrics.example:8443/prom',
      expression: RULE,
      rule: RULE,
    });
  });

  it('when no Prometheus is configured, then detection has no metrics source whatever the alert says', () => {
    const source = alertExpression(alertFrom(graph(CONFIGURED)), new PrometheusServers([]));

    expect(refusal(source)).toContain(
      'no Prometheus is configured (PROMETHEUS_URL, STEADFAST_PROMETHEUS_URLS)',
    );
  });

  it('when the alert has a query annotation but no generatorURL, then the annotation is not read', () => {
    const source = alertExpression(alertFrom(undefined, { query: 'up' }), servers);

    expect(refusal(source)).toContain('its query annotation is read only beside one');
  });

  const OTHER_SERIES = "it reads series that its rule's expression does not";
  const TOO_FAR =
    "it looks back further than its rule's expression or an hour, or asks a subquery for more than 11,000 points";
  const MADE =
    'it makes values of its own (arithmetic, a comparison, or a function beyond rates, windows and aggregations)';
  it.each([
    ['every series there is', 'count({__name__=~".+"})', OTHER_SERIES],
    ['another metric', 'node_memory_MemFree_bytes', OTHER_SERIES],
    ["the rule's metric without its matcher", 'attack_ratio', OTHER_SERIES],
    [
      "only the rule's series but ten years of it",
      'max_over_time(attack_ratio{job="web"}[3650d:1s])',
      TOO_FAR,
    ],
    ["the rule's series negated, so that a rise reads as a fall", '-attack_ratio{job="web"}', MADE],
    ["a constant made from the rule's series", 'attack_ratio{job="web"} * 0 + 42', MADE],
    ["the rule's series raised to a power", 'attack_ratio{job="web"} ^ 40', MADE],
  ])(
    "when the query annotation reads %s, then the rule's own expression is used and the incident says why",
    (_l, query, why) => {
      const source = alertExpression(alertFrom(graph(CONFIGURED), { query }), servers);

      expect(source).toEqual({
        ok: true,
        prometheusUrl: CONFIGURED,
        expression: RULE,
        rule: RULE,
        note: `the alert's query annotation was ignored: ${why}`,
      });
    },
  );

  it('when the query annotation is the rule itself, comparison and all, then it is used', () => {
    const source = alertExpression(alertFrom(graph(CONFIGURED), { query: RULE }), servers);

    expect(source).toEqual({ ok: true, prometheusUrl: CONFIGURED, expression: RULE, rule: RULE });
  });

  it("when the query annotation reads only the rule's series, then it is used", () => {
    const query = 'avg_over_time(attack_ratio{job="web", n="1"}[1m])';

    const source = alertExpression(alertFrom(graph(CONFIGURED), { query }), servers);

    expect(source).toEqual({ ok: true, prometheusUrl: CONFIGURED, expression: query, rule: RULE });
  });
});

describe("an attacker's Prometheus, named by an alert", () => {
  let attacker: PrometheusStandIn;
  let configured: PrometheusStandIn;

  beforeAll(async () => {
    // What the attacker's server answered in the issue: 200,000 points that look like a crisis.
    attacker = await startPrometheusStandIn((q, res) =>
      json(
        res,
        q.path.endsWith('query')
          ? '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[0,"1"]}]}}'
          : matrixAnswer(1, 200_000, () => 0.9),
      ),
    );
    configured = await startPrometheusStandIn(
      (q, res) =>
        json(
          res,
          q.path.endsWith('query')
            ? '{"status":"success","data":{"resultType":"vector","result":[]}}'
            : matrixAnswer(1, 61),
        ),
      RULES,
    );
  });

  afterAll(async () => {
    await attacker?.close();
    await configured?.close();
  });

  it('when the generatorURL points at it, then no request reaches it and detection says why', async () => {
    const t = triage({ prometheusUrl: configured.url });

    const detection = await t.detectAnomaly({ alert: alertFrom(graph(attacker.url)) });

    expect(attacker.received).toEqual([]);
    expect(configured.received).toEqual([]);
    expect(detection).toEqual({
      status: 'no-metrics-source',
      message: `no anomaly score: the alert's generatorURL points at ${attacker.url}, which is not a configured Prometheus (PROMETHEUS_URL, STEADFAST_PROMETHEUS_URLS); its expression was ignored and nothing was asked of that host`,
    });
  });

  it('when no Prometheus is configured, then the alert cannot name one and detection has no metrics source', async () => {
    const t = triage({});

    const detection = await t.detectAnomaly({
      alert: alertFrom(graph(attacker.url), { query: 'attack_ratio' }),
    });

    expect(attacker.received).toEqual([]);
    expect(detection.status).toBe('no-metrics-source');
    expect(detection.message).toContain('no Prometheus is configured');
  });

  it('when verification is handed its address, then it is never called and the configured server is asked', async () => {
    const t = triage({ prometheusUrl: configured.url });
    const before = configured.received.length;

    const check = await t.checkCondition({ promql: 'up{job="web"} == 1', prometheusUrl: `${attacker.url}/` });

    expect(attacker.received).toEqual([]);
    expect(configured.received.slice(before).map((q) => q.params.get('query'))).toEqual([
      'up{job="web"} == 1',
    ]);
    // The attacker would have answered "holds"; the configured server says it does not.
    expect(check).toEqual({
      holds: false,
      message: `up{job="web"} == 1 returned no series. The address it was given (${attacker.url}) is not a configured Prometheus and was not asked`,
    });
  });

  it('when verification is handed its address and nothing is configured, then it fails without asking anyone', async () => {
    const t = triage({});

    const check = await t.checkCondition({ promql: 'up == 1', prometheusUrl: attacker.url });

    expect(attacker.received).toEqual([]);
    expect(check.holds).toBe(false);
    expect(check.message).toBe(
      `no Prometheus is configured (PROMETHEUS_URL, STEADFAST_PROMETHEUS_URLS) to verify with. The address it was given (${attacker.url}) is not a configured Prometheus and was not asked`,
    );
  });

  it('when a configured server redirects a query to it, then the redirect is not followed', async () => {
    const redirecting = await startPrometheusStandIn(
      (_q, res) => res.writeHead(307, { location: `${attacker.url}/api/v1/query_range` }).end(),
      RULES,
    );
    try {
      const t = triage({ prometheusUrl: redirecting.url });

      const detection = await t.detectAnomaly({ alert: alertFrom(graph(redirecting.url)) });

      expect(redirecting.received).toHaveLength(1);
      expect(attacker.received).toEqual([]);
      expect(detection.status).toBe('unreachable');
      expect(detection.message).toContain('answered with a redirect (HTTP 307), which is not followed');
    } finally {
      await redirecting.close();
    }
  });

  it("when the alert's query annotation reads every series, then only the rule's expression is sent", async () => {
    const t = triage({ prometheusUrl: configured.url });
    const before = configured.received.length;

    const detection = await t.detectAnomaly({
      alert: alertFrom(graph(configured.url), { query: 'count({__name__=~".+"})' }),
    });

    const sent = configured.received.slice(before).map((q) => q.params.get('query'));
    expect(sent).toEqual(['attack_ratio{job="web"}']);
    expect(detection.query).toBe('attack_ratio{job="web"}');
    expect(detection.message).toContain(". The alert's query annotation was ignored: it reads series");
  });
});

describe('answers too big to take whole, from a configured server', () => {
  let standIns: PrometheusStandIn[] = [];
  const serve = async (answer: Parameters<typeof startPrometheusStandIn>[0]) => {
    const s = await startPrometheusStandIn(answer, RULES);
    standIns.push(s);
    return s;
  };

  afterAll(async () => {
    await Promise.all(standIns.map((s) => s.close()));
    standIns = [];
  });

  it('when it answers 200,000 points, then the series is cut to the points asked for, the finding says so, and the result stays small', async () => {
    // Short values, as in the issue (3.5 MB): under the byte cap, so the point cap has to hold.
    const big = matrixAnswer(1, 200_000, (i) => (i < 199_990 ? i % 3 : 9));
    const server = await serve((_q, res) => json(res, big));
    const t = triage({ prometheusUrl: server.url });

    const detection = await t.detectAnomaly({ alert: alertFrom(graph(server.url)) });
    const prediction = await t.forecastTrend({ detection });

    // A 60 s window at a 1 s step is 61 points: the most recent 61 are kept.
    expect(Buffer.byteLength(big)).toBeGreaterThan(3_000_000);
    expect(detection.series?.values).toHaveLength(61);
    expect(detection.series?.times.at(-1)).toBe(Math.max(...(detection.series?.times ?? [])));
    expect(detection.message).toContain(
      `. Prometheus at ${server.url} answered more than 61 points (200,000); the series was cut to the most recent 61`,
    );
    const size = Buffer.byteLength(JSON.stringify({ detection, prediction }));
    process.stdout.write(
      `\n[prometheus caps] 200,000-point answer (${Buffer.byteLength(big)} bytes) → triage results ${size} bytes\n`,
    );
    expect(size).toBeLessThan(8_000);
  });

  it('when it answers thousands of series, then the first 100 are read and the finding says so', async () => {
    const server = await serve((_q, res) => json(res, matrixAnswer(5000, 3)));
    const t = triage({ prometheusUrl: server.url });

    const detection = await t.detectAnomaly({ alert: alertFrom(graph(server.url)) });

    expect(detection.message).toContain(
      `Prometheus at ${server.url} answered more than 100 series (5,000); only the first 100 were read`,
    );
    expect(Buffer.byteLength(JSON.stringify(detection))).toBeLessThan(4_000);
  });

  it('when its body never ends, then reading stops at the byte cap, the connection is dropped and detection says why', async () => {
    let stream: ReturnType<typeof streamEndlessly> | undefined;
    const server = await serve((_q, res) => (stream = streamEndlessly(res)));
    const t = triage({
      prometheusUrl: server.url,
      prometheusLimits: { maxBytes: 1024 * 1024, timeoutMs: 30_000 },
    });

    const detection = await t.detectAnomaly({ alert: alertFrom(graph(server.url)) });
    await stream?.closed;

    expect(detection.status).toBe('unreachable');
    expect(detection.message).toBe(
      `no anomaly score: Prometheus at ${server.url} answered more than 1,048,576 bytes; the answer was dropped`,
    );
    // Socket buffers hold some in flight, but nowhere near the gigabyte it would have sent.
    expect(stream?.sent()).toBeLessThan(64 * 1024 * 1024);
  });

  it('when it declares a body over the cap, then the body is not read at all', async () => {
    const server = await serve((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(5 * 1024 * 1024) });
      res.write('{');
    });
    const t = triage({ prometheusUrl: server.url });

    const check = await t.checkCondition({ promql: 'up == 1' });

    expect(check).toEqual({
      holds: false,
      message: `Prometheus at ${server.url} answered more than 4,194,304 bytes; the answer was dropped`,
    });
  });

  it('when it never answers, then the call gives up after its timeout, and the check says it was not answered', async () => {
    const server = await serve(() => undefined);
    const t = triage({ prometheusUrl: server.url, prometheusLimits: { timeoutMs: 300 } });

    const started = Date.now();
    const check = await t.checkCondition({ promql: 'up == 1' });

    expect(Date.now() - started).toBeLessThan(5000);
    expect(check).toEqual({
      holds: false,
      message: `Prometheus at ${server.url} could not be reached (no answer within 300 ms)`,
      unanswered: true,
    });
  });

  it('when a series carries megabytes of labels, then its labels are cut and the check still reads its value', async () => {
    const label = 'x'.repeat(2 * 1024 * 1024);
    const server = await serve((_q, res) =>
      json(
        res,
        `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"${label}"},"value":[0,"1"]}]}}`,
      ),
    );
    const t = triage({ prometheusUrl: server.url });

    const check = await t.checkCondition({ promql: 'up == 1' });

    expect(check).toEqual({ holds: true, message: 'up == 1 holds (1 series, first 1)' });
    const answer = await new PrometheusClient(server.url).query('up == 1');
    expect(answer).toMatchObject({
      kind: 'vector',
      samples: [{ labels: { a: 'x'.repeat(1023) }, value: 1 }],
      cut: expect.stringContaining('a label over 1,024 characters; its labels were cut') as unknown,
    });
  });

  it('when a cut falls inside a character, then the whole character goes: no half of an emoji is left', async () => {
    // 1,023 units left for the value end inside the 512th emoji, two units each.
    const server = await serve((_q, res) =>
      json(
        res,
        `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"${'😀'.repeat(600)}"},"value":[0,"1"]}]}}`,
      ),
    );
    const answer = await new PrometheusClient(server.url).query('up == 1');
    expect(answer).toMatchObject({ kind: 'vector', samples: [{ labels: { a: '😀'.repeat(511) } }] });
  });
});

describe('a configured Prometheus (Debian prometheus) still works', () => {
  let target: MetricsTarget;
  let prometheus: RunningPrometheus;
  let attacker: PrometheusStandIn;
  let client: Client;
  let worker: TestWorker;
  const TASK_QUEUE = 'security-prometheus';

  beforeAll(async () => {
    target = await startMetricsTarget();
    const gauge = target.gauge('sec_error_ratio');
    gauge.set(0.01);
    prometheus = await startPrometheus(
      [{ job: 'sec', port: target.port }],
      alertRules([
        { alert: 'AttackRatioHigh', expr: 'sec_error_ratio > 0.05' },
        { alert: 'SecErrorRatio', expr: 'sec_error_ratio > 0.05' },
      ]),
    );
    attacker = await startPrometheusStandIn((_q, res) =>
      json(res, '{"status":"success","data":{"resultType":"vector","result":[]}}'),
    );
    await waitForSamples(prometheus.url, 'sec_error_ratio', 5);
    client = await testClient();
    worker = await startTestWorker(
      testActivities({
        runbooks: {
          'wait.yaml': `
title: Wait, then verify in Prometheus
match: { alertnames: [SecErrorRatio] }
risk: low
approvers: [alice]
approval: { timeout: 10m }
steps:
  - action: wait
    duration: 1s
verify: { promql: 'up{job="sec"} == 1', within: 20s, interval: 1s }
`,
        },
        triage: { prometheusUrl: prometheus.url },
      }),
      TASK_QUEUE,
    );
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await prometheus?.close();
    await target?.close();
    await attacker?.close();
  });

  it('when the alert comes from it, then its series is read and verification asks it', async () => {
    const t = triage({ prometheusUrl: prometheus.url });

    const detection = await t.detectAnomaly({
      alert: alertFrom(graph(prometheus.url, 'sec_error_ratio > 0.05')),
    });
    const check = await t.checkCondition({
      promql: 'up{job="sec"} == 1',
      prometheusUrl: detection.prometheusUrl,
    });

    expect(detection.prometheusUrl).toBe(prometheus.url);
    expect(detection.query).toBe('sec_error_ratio');
    expect(detection.series?.values.length).toBeGreaterThanOrEqual(5);
    expect(['scored', 'insufficient-history']).toContain(detection.status);
    expect(check).toEqual({ holds: true, message: 'up{job="sec"} == 1 holds (1 series, first 1)' });
  });

  it.each([
    ['any PromQL', 'count_over_time({__name__=~".+"}[30d]) > 0'],
    ["another rule's expression", 'up{job="sec"} == 1'],
    ['the rule with a matcher more', 'sec_error_ratio{job="sec"} > 0.05'],
  ])(
    "when the generatorURL's origin is the configured one but its expression is %s, then nothing of it is read",
    async (_what, expr) => {
      const t = triage({ prometheusUrl: prometheus.url });

      const detection = await t.detectAnomaly({
        alert: alertFrom(graph(prometheus.url, expr), { query: 'sec_error_ratio' }),
      });

      expect(detection).toEqual({
        status: 'no-metrics-source',
        message: `no anomaly score: Prometheus at ${prometheus.url} has no alerting rule "AttackRatioHigh" with the expression the alert's generatorURL carries; the expression was not read`,
      });
    },
  );

  it('when the generatorURL names another configured server that has no such rule, then that server is not recorded and verification asks PROMETHEUS_URL', async () => {
    // The second server is configured (STEADFAST_PROMETHEUS_URLS) but lists no rule of the alert's: a
    // sender naming it would pick where the runbook's check runs, and there the check returns nothing.
    const t = triage({ prometheusUrl: prometheus.url, prometheusUrls: [attacker.url] });
    const before = attacker.received.length;

    const detection = await t.detectAnomaly({
      alert: alertFrom(graph(attacker.url, 'anything_at_all > 0')),
    });
    const check = await t.checkCondition({
      promql: 'up{job="sec"} == 1',
      ...(detection.prometheusUrl ? { prometheusUrl: detection.prometheusUrl } : {}),
    });

    expect(detection.status).toBe('no-metrics-source');
    expect(detection.prometheusUrl).toBeUndefined();
    expect(detection.message).toContain(
      `Prometheus at ${attacker.url} has no alerting rule "AttackRatioHigh"`,
    );
    expect(attacker.received.slice(before)).toEqual([]);
    expect(check).toEqual({ holds: true, message: 'up{job="sec"} == 1 holds (1 series, first 1)' });
  });

  it('when another configured server loads the same rule, then an alert naming it chooses where the fix is checked, unless the runbook names its Prometheus', async () => {
    // A second configured Prometheus (another cluster's, say) that loads the same rule and where every
    // check holds: the alert's generatorURL names it, and detection confirms the rule there.
    const mirror = await startPrometheusStandIn(
      (q, res) =>
        q.path.endsWith('/query_range')
          ? json(res, matrixAnswer(1, 60))
          : json(
              res,
              `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[${Date.now() / 1000},"1"]}]}}`,
            ),
      [
        { alert: 'SecCheckedWhere', expr: 'sec_error_ratio > 0.05' },
        { alert: 'SecCheckedPinned', expr: 'sec_error_ratio > 0.05' },
      ],
    );
    // The check fails on the real server (the target is up): only the mirror says it holds.
    const runbook = (alert: string, pinned: string) => `
title: Wait, then check ${alert}
match: { alertnames: [${alert}] }
risk: low
approvers: [alice]
steps:
  - action: wait
    duration: 1s
verify: { promql: 'up{job="sec"} == 0', ${pinned} within: 4s, interval: 1s }
`;
    const queue = `${TASK_QUEUE}-where`;
    const pinnedWorker = await startTestWorker(
      testActivities({
        runbooks: {
          'where.yaml': runbook('SecCheckedWhere', ''),
          'pinned.yaml': runbook('SecCheckedPinned', `prometheus: '${prometheus.url}',`),
        },
        triage: { prometheusUrl: prometheus.url, prometheusUrls: [mirror.url] },
      }),
      queue,
    );
    const outcome = async (alertName: string) => {
      const handle = await startIncident(client, queue, `sec-where-${alertName}-${Date.now().toString(36)}`, [
        makeAlert({
          alertName,
          labels: { job: 'sec' },
          generatorURL: graph(mirror.url, 'sec_error_ratio > 0.05'),
        }),
      ]);
      await waitForState(handle, atStage('approve'));
      await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
      return handle.result();
    };
    try {
      const chosen = await outcome('SecCheckedWhere');
      expect(chosen.detection?.prometheusUrl).toBe(mirror.url);
      expect(chosen.outcome).toBe('verified');

      const pinned = await outcome('SecCheckedPinned');
      expect(pinned.detection?.prometheusUrl).toBe(mirror.url);
      expect(pinned.recommendation?.verification.prometheusUrl).toBe(prometheus.url);
      expect(pinned.outcome).toBe('failed');
      expect(pinned.verification?.message).toContain('up{job="sec"} == 0 did not hold');
      // Starting with both servers configured, the unpinned runbook is warned about.
      const warnings = runbookWarnings(parseRunbook('where.yaml', runbook('SecCheckedWhere', '')), {
        approvers: ['alice'],
        prometheus: [prometheus.url, mirror.url],
      });
      expect(warnings.map((w) => w.event)).toEqual(['runbook.verify-server']);
    } finally {
      await pinnedWorker.stop();
      await mirror.close();
    }
  }, 120_000);

  it('when a whole incident is sent by an alert naming an attacker, then the attacker is never asked and the fix is verified on the configured Prometheus', async () => {
    const id = `sec-prometheus-${Date.now().toString(36)}`;
    const handle = await startIncident(client, TASK_QUEUE, id, [
      makeAlert({
        alertName: 'SecErrorRatio',
        labels: { job: 'sec' },
        generatorURL: graph(attacker.url, 'sec_error_ratio > 0.05'),
      }),
    ]);

    const waiting = await waitForState(handle, atStage('approve'));
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', via: 'api' }] });
    const final = await handle.result();

    expect(waiting.detection?.status).toBe('no-metrics-source');
    expect(waiting.detection?.message).toContain(
      `points at ${attacker.url}, which is not a configured Prometheus`,
    );
    expect(final.outcome).toBe('verified');
    expect(final.verification?.message).toContain('up{job="sec"} == 1 holds');
    expect(attacker.received).toEqual([]);
  });
});
