/**
 * What the repo ships about the monitored services themselves, against a real one: the demo service
 * (demo/target.ts) runs as a process, a real Prometheus scrapes it with the labels the demo and Compose
 * give it, and the services dashboard's queries and the shipped watches' queries are asked of it. Then the
 * shipped MemoryLeak watch is run, as the watch activity runs it, over a slow leak, to show it warns before
 * the demo's MemoryLeak rule would fire.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TIMINGS } from '../../demo/loop.js';
import { DEFAULT_ANOMALY_OPTIONS, scoreAnomaly } from '../../src/domain/anomaly.js';
import { parseDuration } from '../../src/domain/duration.js';
import { DEFAULT_FORECAST_OPTIONS, forecastThreshold } from '../../src/domain/forecast.js';
import { judgeWatch, parseWatchFile, type Watch } from '../../src/domain/watch.js';
import { freePort, startPrometheus, waitForSamples, type RunningPrometheus } from '../support/prometheus.js';

const root = join(import.meta.dirname, '..', '..');
const watchFile = join(root, 'prometheus', 'watches.yml');
const watches = parseWatchFile(watchFile, readFileSync(watchFile, 'utf8'));

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: { refId: string; expr: string }[];
}
const dashboard = JSON.parse(readFileSync(join(root, 'grafana', 'dashboards', 'services.json'), 'utf8')) as {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};
const targets = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);
/** Grafana's variables as Grafana would fill them in: every service, a one-minute rate window. */
const interpolate = (expr: string): string =>
  expr.replaceAll('$__rate_interval', '1m').replaceAll('$service', 'checkout');

let service: ChildProcess;
let prometheus: RunningPrometheus;
let traffic: NodeJS.Timeout;

async function query(expr: string): Promise<{ status: string; error?: string; series: number }> {
  const r = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await r.json()) as { status: string; error?: string; data?: { result?: unknown[] } };
  return {
    status: body.status,
    ...(body.error ? { error: body.error } : {}),
    series: body.data?.result?.length ?? 0,
  };
}

beforeAll(async () => {
  const port = await freePort();
  service = spawn(process.execPath, ['--import', 'tsx', join(root, 'demo', 'target.ts')], {
    cwd: root,
    env: { ...process.env, SERVICE: 'checkout', PORT: String(port), HOST: '127.0.0.1' },
    stdio: 'ignore',
  });
  for (let i = 0; ; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 200) throw new Error('the demo service did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  // Some traffic, and some errors, so every panel has something to show.
  await fetch(`http://127.0.0.1:${port}/chaos/errors?rate=0.2`, { method: 'POST' });
  traffic = setInterval(
    () =>
      void fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.text(),
        () => '',
      ),
    50,
  );
  prometheus = await startPrometheus([
    { job: 'checkout', port, labels: { service: 'checkout', container: 'steadfast-demo-checkout' } },
  ]);
  await waitForSamples(prometheus.url, 'http_requests_total{service="checkout", code="500"}', 4);
}, 90_000);

afterAll(async () => {
  clearInterval(traffic);
  service?.kill();
  await prometheus?.close();
});

describe('the services dashboard (grafana/dashboards/services.json)', () => {
  it('is Grafana dashboard JSON: its own uid, unique panel ids on a 24-column grid, the Prometheus datasource', () => {
    const main = JSON.parse(readFileSync(join(root, 'grafana', 'dashboards', 'steadfast.json'), 'utf8')) as {
      uid: string;
    };
    expect(dashboard.uid).not.toBe(main.uid);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'service']);
  });

  it('shows request rate, error ratio and health', () => {
    const all = targets.map((t) => t.expr).join('\n');
    for (const metric of [
      'rate(http_requests_total',
      'code=~"5.."',
      'up{',
      'http_request_duration_seconds_bucket',
    ])
      expect(all).toContain(metric);
  });

  it('has only PromQL that promtool parses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-services-dashboard-'));
    try {
      const file = join(dir, 'rules.yml');
      const rules = targets.map((t, i) => ({
        record: `steadfast:services_check:${i}`,
        expr: interpolate(t.expr),
      }));
      writeFileSync(file, stringify({ groups: [{ name: 'services', rules }] }));
      const out = execFileSync('promtool', ['check', 'rules', '--lint=none', file], { encoding: 'utf8' });
      expect(out).toContain(`SUCCESS: ${targets.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has data in every panel for a real demo service, but for the alerts that do not fire', async () => {
    for (const { panel, expr } of targets) {
      const answer = await query(interpolate(expr));
      expect(answer.status, `${panel}: ${answer.error ?? ''}`).toBe('success');
      // No limit outside a container, and no alert fires here: those two may be empty.
      if (/ALERTS|process_memory_limit_bytes/.test(expr)) continue;
      expect(answer.series, `${panel}: ${expr}`).toBeGreaterThan(0);
    }
  });
});

describe('the shipped watches (prometheus/watches.yml)', () => {
  it("are named for the alert rules they anticipate, carry their own service, or keep each series' service", () => {
    const rules = readFileSync(join(root, 'prometheus', 'alert.rules.yml'), 'utf8');
    // A watch of series no rule covers (the fleet's containers) opens incidents for each series' service.
    const ownService = (w: Watch) =>
      /by \([^)]*\bservice\b[^)]*\)/.test(w.query) && /service!=""/.test(w.query);
    for (const w of watches)
      expect(rules.includes(`alert: ${w.name}`) || w.service !== undefined || ownService(w), w.name).toBe(
        true,
      );
    expect(watches.map((w) => w.name)).toEqual(expect.arrayContaining(['MemoryLeak', 'HighCPU']));
  });

  it('ask the real Prometheus valid range queries, and the CPU watch finds the service with its labels', async () => {
    const end = Math.floor(Date.now() / 1000);
    for (const w of watches) {
      const r = await fetch(
        `${prometheus.url}/api/v1/query_range?${new URLSearchParams({
          query: w.query,
          start: String(end - w.window / 1000),
          end: String(end),
          step: String(w.step / 1000),
        }).toString()}`,
      );
      const body = (await r.json()) as {
        status: string;
        error?: string;
        data: { result: { metric: Record<string, string> }[] };
      };
      expect(body.status, `${w.name}: ${body.error ?? ''}`).toBe('success');
      if (w.name === 'HighCPU') {
        expect(body.data.result.map((s) => s.metric['service'])).toEqual(['checkout']);
      }
    }
    // The memory watch reads the limit a container has; its numerator is there for every service.
    expect((await query('process_resident_memory_bytes{service="checkout"}')).series).toBe(1);
  });

  it('when memory leaks slowly, the MemoryLeak watch warns minutes before the demo rule fires', () => {
    const watch = watches.find((w) => w.name === 'MemoryLeak') as Watch;
    const leak = leakRatio(0.25, 256);
    const leakStart = 1800;
    const ruleAt = demoRuleFiresAt(leak, leakStart);
    const watchAt = watchWarnsAt(watch, leak, leakStart);
    expect(ruleAt).toBeDefined();
    expect(watchAt).toBeDefined();
    // A leak of 0.25 MiB/s reaches 90% of 256 MiB about 11 minutes in; the rule sees it 5 minutes ahead.
    console.info(
      `slow leak: watch warns ${(watchAt ?? 0) - leakStart} s in, the demo rule fires ${(ruleAt ?? 0) - leakStart} s in`,
    );
    expect((ruleAt ?? 0) - (watchAt ?? 0)).toBeGreaterThanOrEqual(120);
  });
});

/** Resident memory over its limit: 60 MiB with a little noise, then `mbPerSecond` more every second. */
function leakRatio(mbPerSecond: number, limitMb: number): (t: number, leakStart: number) => number {
  return (t, leakStart) => {
    const noise = 0.3 * Math.sin(t * 0.7) + 0.2 * Math.cos(t * 1.3);
    return (60 + noise + Math.max(0, t - leakStart) * mbPerSecond) / limitMb;
  };
}

/** When the demo's MemoryLeak rule (predict_linear over its trend window, `for` as the demo sets it) fires. */
function demoRuleFiresAt(ratio: (t: number, s: number) => number, leakStart: number): number | undefined {
  const step = parseDuration(DEMO_TIMINGS.interval) ?? 2000;
  const window = (parseDuration(DEMO_TIMINGS.trendWindow) ?? 40_000) / 1000;
  const holdFor = (parseDuration(DEMO_TIMINGS.for) ?? 6000) / 1000;
  let since: number | undefined;
  for (let t = leakStart; t < leakStart + 3600; t += step / 1000) {
    const xs: number[] = [];
    for (let x = t - window; x <= t; x += step / 1000) xs.push(x);
    const ys = xs.map((x) => ratio(x, leakStart));
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const slope =
      xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] ?? 0) - my), 0) /
      xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    const predicted = my + slope * (t - mx) + slope * DEMO_TIMINGS.trendHorizonSeconds;
    if (predicted > 0.9) since ??= t;
    else since = undefined;
    if (since !== undefined && t - since >= holdFor) return t;
  }
  return undefined;
}

/** When the watch, run every 15 s over its window as the activity runs it, first warns. */
function watchWarnsAt(
  watch: Watch,
  ratio: (t: number, s: number) => number,
  leakStart: number,
): number | undefined {
  const step = watch.step / 1000;
  for (let now = leakStart; now < leakStart + 3600; now += 15) {
    const times: number[] = [];
    for (let t = now - watch.window / 1000; t <= now; t += step) times.push(t);
    const input = { query: watch.query, labels: {}, times, values: times.map((t) => ratio(t, leakStart)) };
    const forecast = forecastThreshold(input, watch.threshold, {
      ...DEFAULT_FORECAST_OPTIONS,
      probabilityWindowSeconds: watch.within / 1000,
    });
    const finding = scoreAnomaly(input, {
      ...DEFAULT_ANOMALY_OPTIONS,
      recentSeconds: Math.min(300, watch.window / 4000),
    });
    if (judgeWatch(watch, forecast, finding).warn) return now;
  }
  return undefined;
}
