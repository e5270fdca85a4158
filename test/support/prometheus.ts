import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import { freePort, startPrometheusServer, type RunningDaemon } from '../../demo/daemons.js';

export { freePort };

/** An HTTP target serving prom-client metrics whose values the test sets. */
export interface MetricsTarget {
  port: number;
  registry: Registry;
  gauge: (name: string, labels?: string[]) => Gauge;
  close: () => Promise<void>;
}

export async function startMetricsTarget(): Promise<MetricsTarget> {
  const registry = new Registry();
  const server: Server = createServer((_req, res) => {
    void registry.metrics().then((text) => {
      res.writeHead(200, { 'Content-Type': registry.contentType });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    registry,
    gauge: (name, labels = []) => new Gauge({ name, help: name, labelNames: labels, registers: [registry] }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export type RunningPrometheus = RunningDaemon;

/**
 * A rules file with one alerting rule per entry: what an alert's generatorURL must match for triage to
 * read its expression (src/activities/triage.ts asks the rules API).
 */
export function alertRules(rules: readonly { alert: string; expr: string }[]): string {
  return [
    'groups:',
    '  - name: steadfast-tests',
    '    rules:',
    ...rules.flatMap((r) => [`      - alert: ${r.alert}`, `        expr: ${JSON.stringify(r.expr)}`]),
  ].join('\n');
}

/** Runs Debian's prometheus on loopback, scraping the given targets every second. */
export async function startPrometheus(
  /** `labels`: target labels, as the demo's and Compose's scrape configurations give their services. */
  jobs: { job: string; port: number; labels?: Record<string, string> }[],
  /** Alert rules file content (YAML), evaluated every second. */
  rules?: string,
): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-prometheus-'));
  const port = await freePort();
  if (rules) writeFileSync(join(dir, 'rules.yml'), rules);
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    ...(rules ? ['rule_files:', `  - ${join(dir, 'rules.yml')}`] : []),
    'scrape_configs:',
    ...jobs.flatMap((j) => [
      `  - job_name: ${j.job}`,
      '    static_configs:',
      `      - targets: ['127.0.0.1:${j.port}']`,
      ...(j.labels ? [`        labels: ${JSON.stringify(j.labels)}`] : []),
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  return startPrometheusServer(dir, port);
}

/** Waits until Prometheus has scraped `query` at least `points` times within the last minute. */
export async function waitForSamples(
  url: string,
  query: string,
  points: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await fetch(
      `${url}/api/v1/query?query=${encodeURIComponent(`count_over_time((${query})[1m:1s])`)}`,
    ).then((r) => r.json())) as {
      data?: { result?: { value: [number, string] }[] };
    };
    const count = Number(body.data?.result?.[0]?.value[1] ?? 0);
    if (count >= points) return;
    if (Date.now() > deadline)
      throw new Error(`only ${count} samples of ${query} after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
