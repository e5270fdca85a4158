import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';

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

export interface RunningPrometheus {
  url: string;
  close: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs Debian's prometheus on loopback, scraping the given targets every second. */
export async function startPrometheus(jobs: { job: string; port: number }[]): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-prometheus-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    ...jobs.flatMap((j) => [
      `  - job_name: ${j.job}`,
      '    static_configs:',
      `      - targets: ['127.0.0.1:${j.port}']`,
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error('prometheus was not ready after 30s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
