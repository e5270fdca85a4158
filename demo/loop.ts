/**
 * The whole loop on real parts, shared by `npm run demo` and the end-to-end test: demo targets as real
 * containers, Prometheus with the shipped alert rules, Alertmanager routing to Steadfast's webhook, and
 * a traffic generator. Only timings differ from the shipped configuration, so a demo takes minutes.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { parse, stringify } from 'yaml';
import { freePort, startAlertmanagerServer, startPrometheusServer, type RunningDaemon } from './daemons.js';

export { freePort };

const root = join(import.meta.dirname, '..');

export interface DemoTarget {
  service: string;
  container: string;
  port: number;
  url: string;
}

/**
 * Starts one container per service from the demo image. They share the host's network and listen on
 * loopback only, so Prometheus on the host scrapes them and nothing is exposed beyond this machine.
 * The Compose service label lets `docker.scale` find a service's replicas, as under Compose.
 */
export async function startTargets(
  docker: Docker,
  image: string,
  services: { service: string; port: number }[],
  options: { namePrefix?: string; memoryBytes?: number; labels?: Record<string, string> } = {},
): Promise<DemoTarget[]> {
  const out: DemoTarget[] = [];
  for (const { service, port } of services) {
    const name = `${options.namePrefix ?? 'steadfast-demo'}-${service}`;
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
    const container = await docker.createContainer({
      Image: image,
      name,
      Env: [`SERVICE=${service}`, `PORT=${port}`, 'HOST=127.0.0.1'],
      // steadfast.managed: the shipped runbooks act only on containers that opt in with it.
      Labels: {
        'com.docker.compose.service': service,
        'steadfast.demo': 'target',
        'steadfast.managed': 'true',
        ...options.labels,
      },
      HostConfig: { NetworkMode: 'host', Memory: options.memoryBytes ?? 256 * 1024 * 1024 },
    });
    await container.start();
    out.push({ service, container: name, port, url: `http://127.0.0.1:${port}` });
  }
  for (const target of out) await waitForHttp(`${target.url}/metrics`, 30_000);
  return out;
}

export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface Timings {
  /** Scrape and rule evaluation interval. */
  interval: string;
  /** Every rule's `for`. */
  for: string;
  /** Rate windows (`[2m]` in the shipped rules). */
  rateWindow: string;
  /** The memory trend's window and horizon (`[15m]` and 3600 s in the shipped rule). */
  trendWindow: string;
  trendHorizonSeconds: number;
}

export const DEMO_TIMINGS: Timings = {
  interval: '2s',
  for: '6s',
  rateWindow: '20s',
  trendWindow: '40s',
  trendHorizonSeconds: 300,
};

interface RuleFile {
  groups: {
    name: string;
    rules: { alert: string; expr: string; for?: string; annotations?: Record<string, string> }[];
  }[];
}

/**
 * The shipped alert rules with shorter windows, and an annotation that tells Steadfast when an injected
 * fault began (the demo target exports that time), so the breakdown can start at the fault.
 */
export function demoRules(timings: Timings): string {
  const rules = parse(readFileSync(join(root, 'prometheus', 'alert.rules.yml'), 'utf8')) as RuleFile;
  for (const group of rules.groups) {
    for (const rule of group.rules) {
      rule.for = timings.for;
      rule.expr = rule.expr
        .replace(/\[15m\]/g, `[${timings.trendWindow}]`)
        .replace(/\[2m\]/g, `[${timings.rateWindow}]`)
        .replace(/,\s*3600\)/g, `, ${timings.trendHorizonSeconds})`);
      rule.annotations = {
        ...rule.annotations,
        fault_started_at:
          '{{ with printf "max(demo_fault_started_timestamp_seconds{job=\\"%s\\"})" $labels.job | query }}' +
          '{{ . | first | value | printf "%.3f" }}{{ end }}',
      };
    }
  }
  return stringify(rules);
}

export interface LoopDaemons {
  prometheus: RunningDaemon;
  alertmanager: RunningDaemon;
  close: () => Promise<void>;
}

/**
 * Starts Alertmanager (routing to the webhook with a bearer token, as the shipped configuration does)
 * and Prometheus (scraping the targets and Steadfast, evaluating the demo rules, alerting to it).
 */
export async function startLoopDaemons(options: {
  targets: DemoTarget[];
  webhookUrl: string;
  token: string;
  productPort?: number;
  timings?: Timings;
  prometheusPort?: number;
  alertmanagerPort?: number;
  workDir?: string;
}): Promise<LoopDaemons> {
  const timings = options.timings ?? DEMO_TIMINGS;
  const base = options.workDir ?? mkdtempSync(join(tmpdir(), 'steadfast-loop-'));
  const amDir = join(base, 'alertmanager');
  const promDir = join(base, 'prometheus');
  mkdirSync(amDir, { recursive: true });
  mkdirSync(promDir, { recursive: true });

  writeFileSync(join(amDir, 'token'), options.token, { mode: 0o600 });
  const am = parse(readFileSync(join(root, 'alertmanager', 'alertmanager.yml'), 'utf8')) as {
    route: Record<string, unknown>;
    receivers: {
      webhook_configs: { url: string; http_config: { authorization: { credentials_file: string } } }[];
    }[];
  };
  Object.assign(am.route, { group_wait: '1s', group_interval: '2s', repeat_interval: '1h' });
  for (const receiver of am.receivers) {
    for (const hook of receiver.webhook_configs) {
      hook.url = options.webhookUrl;
      hook.http_config.authorization.credentials_file = join(amDir, 'token');
    }
  }
  writeFileSync(join(amDir, 'alertmanager.yml'), stringify(am));
  const amPort = options.alertmanagerPort ?? (await freePort());
  const alertmanager = await startAlertmanagerServer(amDir, amPort);

  writeFileSync(join(promDir, 'rules.yml'), demoRules(timings));
  const promPort = options.prometheusPort ?? (await freePort());
  const config = {
    global: { scrape_interval: timings.interval, evaluation_interval: timings.interval },
    rule_files: [join(promDir, 'rules.yml')],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
    scrape_configs: [
      ...options.targets.map((t) => ({
        job_name: t.service,
        static_configs: [
          { targets: [`127.0.0.1:${t.port}`], labels: { service: t.service, container: t.container } },
        ],
      })),
      ...(options.productPort
        ? [{ job_name: 'steadfast', static_configs: [{ targets: [`127.0.0.1:${options.productPort}`] }] }]
        : []),
    ],
  };
  writeFileSync(join(promDir, 'prometheus.yml'), stringify(config));
  let prometheus: RunningDaemon;
  try {
    prometheus = await startPrometheusServer(promDir, promPort);
  } catch (err) {
    await alertmanager.close();
    throw err;
  }
  return {
    prometheus,
    alertmanager,
    close: async () => {
      await prometheus.close();
      await alertmanager.close();
    },
  };
}

/** Steady requests to every target, as users would send; returns a stop function. */
export function startTraffic(targets: DemoTarget[], perSecond = 5): () => void {
  const timer = setInterval(() => {
    for (const t of targets) {
      fetch(`${t.url}/`, { signal: AbortSignal.timeout(5000) })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
    }
  }, 1000 / perSecond);
  return () => clearInterval(timer);
}

export const FAULTS = ['cpu', 'errors', 'latency', 'leak', 'crash', 'clear'] as const;
export type Fault = (typeof FAULTS)[number];

/** Injects a fault into a running target (or clears them all with `clear`). */
export async function injectFault(
  target: Pick<DemoTarget, 'url'>,
  fault: Fault,
  params: Record<string, string> = {},
): Promise<string> {
  const query = new URLSearchParams(params).toString();
  const r = await fetch(
    fault === 'clear' ? `${target.url}/chaos` : `${target.url}/chaos/${fault}${query ? `?${query}` : ''}`,
    { method: fault === 'clear' ? 'DELETE' : 'POST', signal: AbortSignal.timeout(5000) },
  );
  const text = (await r.text()).trim();
  if (!r.ok) throw new Error(`the target refused the fault: ${text}`);
  return text;
}

/** Alertmanager's active alerts with the given name and service (firing, not silenced). */
export async function activeAlerts(
  alertmanagerUrl: string,
  alertName: string,
  service: string,
): Promise<number> {
  const filter = [`alertname="${alertName}"`, `service="${service}"`]
    .map((f) => `filter=${encodeURIComponent(f)}`)
    .join('&');
  const r = await fetch(
    `${alertmanagerUrl}/api/v2/alerts?active=true&silenced=false&inhibited=true&${filter}`,
  );
  const alerts = (await r.json()) as unknown[];
  return alerts.length;
}
