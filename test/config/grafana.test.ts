/**
 * The Grafana dashboard that docker-compose.yml provisions: well-formed dashboard JSON, every query valid
 * PromQL (promtool parses it), and every query about metrics and labels the product really exports, so a
 * renamed metric turns this red instead of leaving a panel that silently shows "No data".
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify, parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PHASES } from '../../src/domain/breakdown.js';
import { STAGES } from '../../src/domain/incident.js';
import { createMetrics } from '../../src/lib/metrics.js';

const root = join(import.meta.dirname, '..', '..');
const grafanaDir = join(root, 'grafana');

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: GridPos;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  collapsed?: boolean;
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: unknown;
  current?: { value?: unknown };
}
interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  templating?: { list: Variable[] };
  panels?: Panel[];
}

const dashboard = JSON.parse(
  readFileSync(join(grafanaDir, 'dashboards', 'steadfast.json'), 'utf8'),
) as Dashboard;
const variables = dashboard.templating?.list ?? [];
/** Rows hold their panels while collapsed; they are panels of the dashboard all the same. */
const allPanels = (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = allPanels.filter((p) => p.type !== 'row');
const exprs = queryPanels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title ?? '?', expr: t.expr ?? '' })),
);

const datasources = parse(
  readFileSync(join(grafanaDir, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'),
) as { apiVersion: number; datasources: { name: string; uid: string; type: string; url: string }[] };
const provisioned = datasources.datasources.find((d) => d.type === 'prometheus');

/**
 * Grafana replaces its variables before the query reaches Prometheus; give each a value it can take so
 * the text left is what Prometheus would parse.
 */
const BUILT_IN: Record<string, string> = {
  __range: '6h',
  __rate_interval: '1m',
  __interval: '15s',
  __range_s: '21600',
};
function interpolate(expr: string): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    if (name in BUILT_IN) return BUILT_IN[name] ?? whole;
    const v = variables.find((x) => x.name === name);
    if (!v) throw new Error(`unknown variable $${name} in ${expr}`);
    // A query variable with "All" becomes its allValue regex; the others have a current value.
    if (v.type === 'query') return '.+';
    const value = v.current?.value;
    return typeof value === 'string' ? value : whole;
  });
}

/**
 * The metric names and label names an expression uses. PromQL has few enough forms for a scan: after
 * strings, durations and grouping clauses are set aside, an identifier followed by `(` is a function or
 * aggregation and any other identifier is a metric name; a `{...}` right after a metric holds its matchers.
 */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset']);
const OPERATORS = new Set(['and', 'or', 'unless', 'inf', 'nan']);
function references(expr: string): { metric: string; labels: string[] }[] {
  const grouped: string[] = [];
  const text = expr
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_w, labels: string) => {
      grouped.push(
        ...labels
          .split(',')
          .map((l) => l.trim())
          .filter(Boolean),
      );
      return ' ';
    })
    .replace(/\[[^\]]*\]/g, ' ');
  const out: { metric: string; labels: string[] }[] = [];
  const token = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\(|\{[^}]*\})?|"(?:[^"\\]|\\.)*"|\d+(?:\.\d+)?/g;
  for (const m of text.matchAll(token)) {
    const [, name, after] = m;
    if (!name || after === '(' || KEYWORDS.has(name) || OPERATORS.has(name.toLowerCase())) continue;
    const matchers = after
      ? [...after.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1] ?? '')
      : [];
    out.push({ metric: name, labels: matchers });
  }
  // Grouping labels belong to every metric of the expression; check them against each.
  return out.map((r) => ({ ...r, labels: [...r.labels, ...grouped] }));
}

/** The label values an expression's matchers ask for, by label (exact matches and simple alternations). */
function labelValues(expr: string): { label: string; values: string[] }[] {
  return [...expr.matchAll(/([a-zA-Z_]\w*)\s*(=~|=)\s*"([^"]*)"/g)].map(([, label = '', op, value = '']) => ({
    label,
    values: op === '=~' ? value.split('|') : [value],
  }));
}

/** What the product exports, read from its own registry, with a histogram's series names and labels. */
async function exported(): Promise<Map<string, Set<string>>> {
  const { registry } = createMetrics();
  const names = new Map<string, Set<string>>();
  // The target labels Prometheus adds to every series it scrapes (see prometheus/compose/prometheus.yml).
  const target = ['job', 'instance', 'service'];
  for (const m of await registry.getMetricsAsJSON()) {
    const metric = registry.getSingleMetric(m.name) as unknown as { labelNames?: readonly string[] };
    const labels = [...(metric.labelNames ?? []), ...target];
    const type = String(m.type);
    if (type === 'histogram') {
      names.set(`${m.name}_bucket`, new Set([...labels, 'le']));
      names.set(`${m.name}_sum`, new Set(labels));
      names.set(`${m.name}_count`, new Set(labels));
    } else if (type === 'summary') {
      names.set(m.name, new Set([...labels, 'quantile']));
      names.set(`${m.name}_sum`, new Set(labels));
      names.set(`${m.name}_count`, new Set(labels));
    } else {
      names.set(m.name, new Set(labels));
    }
  }
  return names;
}

describe('the provisioned Grafana', () => {
  it('has a Prometheus datasource at the compose service, with the uid the dashboard defaults to', () => {
    expect(datasources.apiVersion).toBe(1);
    expect(provisioned).toBeDefined();
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, unknown>;
    };
    const url = new URL(provisioned?.url ?? '');
    expect(compose.services).toHaveProperty(url.hostname);
    expect(url.port).toBe('9090');
    const ds = variables.find((v) => v.name === 'datasource');
    expect(ds).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
      current: { value: provisioned?.uid },
    });
  });

  it('loads dashboards from a file provider', () => {
    const providers = parse(
      readFileSync(join(grafanaDir, 'provisioning', 'dashboards', 'steadfast.yml'), 'utf8'),
    ) as { apiVersion: number; providers: { type: string; options: { path: string } }[] };
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers.length).toBe(1);
    expect(providers.providers[0]?.type).toBe('file');
    expect(providers.providers[0]?.options.path).toMatch(/^\//);
  });
});

describe('the Steadfast dashboard', () => {
  it('is Grafana dashboard JSON: uid, title, schema version, panels with unique ids on a 24-column grid', () => {
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.title).toBeTruthy();
    expect(Number.isInteger(dashboard.schemaVersion) && (dashboard.schemaVersion ?? 0) >= 36).toBe(true);
    expect(queryPanels.length).toBeGreaterThan(10);
    const ids = allPanels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);

    const boxes = allPanels.map((p) => ({ title: p.title, ...(p.gridPos ?? { x: -1, y: -1, w: 0, h: 0 }) }));
    for (const b of boxes) {
      expect(b.x >= 0 && b.y >= 0 && b.w > 0 && b.h > 0 && b.x + b.w <= 24, `${b.title}`).toBe(true);
    }
    for (const [i, a] of boxes.entries())
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `${a.title} overlaps ${b.title}`).toBe(false);
      }
  });

  it('queries the Prometheus datasource in every panel and target', () => {
    const uids = new Set(['${datasource}', provisioned?.uid]);
    for (const p of queryPanels) {
      expect(p.datasource?.type, p.title).toBe('prometheus');
      expect(uids.has(p.datasource?.uid), p.title).toBe(true);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
      for (const t of p.targets ?? []) {
        expect(t.expr?.trim(), p.title).toBeTruthy();
        expect(t.datasource ?? p.datasource, p.title).toEqual(p.datasource);
      }
    }
  });

  it('has only PromQL that Prometheus parses (promtool check rules)', () => {
    // Each expression becomes a recording rule, which promtool parses without a server.
    const rules = {
      groups: [
        {
          name: 'dashboard',
          rules: exprs.map((e, i) => ({
            record: `steadfast:dashboard_check:${i}`,
            expr: interpolate(e.expr),
          })),
        },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-grafana-'));
    try {
      const file = join(dir, 'dashboard.rules.yml');
      writeFileSync(file, stringify(rules));
      const out = execFileSync('promtool', ['check', 'rules', '--lint=none', file], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out).toContain(`SUCCESS: ${exprs.length} rules found`);
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`promtool rejected a dashboard query:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks only for metrics and labels the product exports', async () => {
    const metrics = await exported();
    expect(metrics.has('steadfast_incident_phase_seconds_bucket')).toBe(true);
    for (const { panel, expr } of exprs) {
      const refs = references(interpolate(expr));
      expect(refs.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const { metric, labels } of refs) {
        const known = metrics.get(metric);
        expect(known, `${panel}: ${metric} is not a metric the product exports`).toBeDefined();
        for (const label of labels)
          expect(known?.has(label), `${panel}: ${metric} has no label ${label}`).toBe(true);
      }
    }
  });

  it('asks for label values the product uses: stages, phases, outcomes and action results', () => {
    const incidentTypes = readFileSync(join(root, 'src', 'domain', 'incident.ts'), 'utf8');
    /** The string literals of a union type in src/domain/incident.ts, found by the text that starts it. */
    const union = (start: RegExp): string[] => {
      // Comments go first: they may hold a semicolon or a quote of their own.
      const text = incidentTypes.slice(incidentTypes.search(start)).replace(/\/\/.*$/gm, '');
      return [...text.slice(0, text.indexOf(';')).matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '');
    };
    const known: Record<string, string[]> = {
      stage: [...STAGES],
      phase: PHASES.map((p) => p.phase),
      outcome: union(/export type Outcome =/),
      result: union(/status: 'running'/),
    };
    expect(known['outcome']).toEqual(expect.arrayContaining(['verified', 'failed', 'dry-run']));
    expect(known['result']).toContain('rolled-back');
    for (const { panel, expr } of exprs)
      for (const { label, values } of labelValues(expr)) {
        const allowed = known[label];
        if (!allowed) continue;
        for (const v of values) expect(allowed, `${panel}: ${label}="${v}"`).toContain(v);
      }
  });

  it('shows what issue 7 asks for, and every phase of the time to repair', () => {
    const all = exprs.map((e) => e.expr).join('\n');
    for (const metric of [
      'steadfast_alerts_received_total',
      'steadfast_incidents_closed_total',
      'steadfast_stage_duration_seconds_count',
      'steadfast_stage_duration_seconds_bucket{job=~"$job", stage="approve"}',
      'steadfast_time_to_first_action_seconds_bucket',
      'steadfast_remediation_actions_total{job=~"$job", result=~"rolled-back|rollback-failed"}',
      'steadfast_approvals_total',
      'steadfast_incident_phase_seconds_bucket',
    ])
      expect(all).toContain(metric);
    for (const { phase } of PHASES) expect(all).toContain(`phase="${phase}"`);
  });
});
