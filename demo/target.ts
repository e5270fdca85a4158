/**
 * A demo service for Steadfast to look after: it answers HTTP requests, exports prom-client metrics
 * (requests, latency, CPU, memory and its memory limit) and takes faults on request, so the whole loop
 * (alert → incident → remediation → verification) can be shown and tested on a real container.
 *
 *   GET  /              some work (what the traffic generator calls)
 *   GET  /metrics       Prometheus metrics
 *   POST /chaos/:fault  cpu | errors | latency | leak | crash   (query: ?rate=0.5 &ms=800 &mbPerSecond=4)
 *   DELETE /chaos       clear every fault
 *   POST /maintenance/cache/flush   the maintenance endpoint a runbook may call
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const service = process.env['SERVICE'] ?? 'demo';
const port = Number(process.env['PORT'] ?? 8080);
const host = process.env['HOST'] ?? '0.0.0.0';

const registry = new Registry();
collectDefaultMetrics({ register: registry });
const requests = new Counter({
  name: 'http_requests_total',
  help: 'Requests answered, by status code.',
  labelNames: ['code'] as const,
  registers: [registry],
});
const latency = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time to answer a request.',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});
const faultStarted = new Gauge({
  name: 'demo_fault_started_timestamp_seconds',
  help: 'When the active fault was injected (Unix seconds), per fault.',
  labelNames: ['fault'] as const,
  registers: [registry],
});

/** The container's memory limit as the kernel enforces it (cgroup v2 or v1); 0 when unlimited. */
function memoryLimitBytes(): number {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const text = readFileSync(file, 'utf8').trim();
      const value = Number(text);
      if (text !== 'max' && Number.isFinite(value) && value < 2 ** 62) return value;
      return 0;
    } catch {
      // not this cgroup version
    }
  }
  return Number(process.env['MEMORY_LIMIT_BYTES'] ?? 0);
}
new Gauge({
  name: 'process_memory_limit_bytes',
  help: 'The memory limit the kernel enforces on this process (0: none).',
  registers: [registry],
  collect() {
    this.set(memoryLimitBytes());
  },
});

interface Faults {
  errorRate: number;
  latencyMs: number;
  cpu?: NodeJS.Timeout;
  leak?: NodeJS.Timeout;
}
const faults: Faults = { errorRate: 0, latencyMs: 0 };
const leaked: Buffer[] = [];

function clearFaults(): void {
  faults.errorRate = 0;
  faults.latencyMs = 0;
  clearInterval(faults.cpu);
  clearInterval(faults.leak);
  delete faults.cpu;
  delete faults.leak;
  leaked.length = 0;
  faultStarted.reset();
}

function inject(fault: string, params: URLSearchParams): string {
  faultStarted.set({ fault }, Date.now() / 1000);
  switch (fault) {
    case 'errors':
      faults.errorRate = Math.min(1, Number(params.get('rate') ?? 0.5));
      return `answering ${faults.errorRate * 100}% of requests with 500`;
    case 'latency':
      faults.latencyMs = Number(params.get('ms') ?? 800);
      return `adding ${faults.latencyMs} ms to every request`;
    case 'cpu':
      clearInterval(faults.cpu);
      // Busy 90% of every 100 ms: near one core, yet the server still answers.
      faults.cpu = setInterval(() => {
        const until = Date.now() + 90;
        while (Date.now() < until) Math.sqrt(Math.random());
      }, 100);
      return 'burning about one CPU core';
    case 'leak': {
      const mb = Number(params.get('mbPerSecond') ?? 4);
      clearInterval(faults.leak);
      faults.leak = setInterval(() => leaked.push(Buffer.alloc(mb * 1024 * 1024, 1)), 1000);
      return `leaking ${mb} MiB per second`;
    }
    case 'crash':
      // Exit after answering, as a crashing process would, leaving the container stopped.
      setTimeout(() => process.exit(1), 100);
      return 'crashing now';
    default:
      throw new Error(`unknown fault ${fault}: cpu, errors, latency, leak or crash`);
  }
}

function answer(res: ServerResponse, code: number, body: string, type = 'text/plain'): void {
  res.writeHead(code, { 'content-type': type }).end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://demo');
  if (url.pathname === '/metrics') {
    answer(res, 200, await registry.metrics(), registry.contentType);
    return;
  }
  const chaos = /^\/chaos\/([a-z]+)$/.exec(url.pathname);
  if (req.method === 'POST' && chaos) {
    try {
      answer(res, 200, `${service}: ${inject(chaos[1] ?? '', url.searchParams)}\n`);
    } catch (err) {
      answer(res, 400, `${err instanceof Error ? err.message : String(err)}\n`);
    }
    return;
  }
  if (req.method === 'DELETE' && url.pathname === '/chaos') {
    clearFaults();
    answer(res, 200, `${service}: faults cleared\n`);
    return;
  }
  if (req.method === 'POST' && url.pathname === '/maintenance/cache/flush') {
    leaked.length = 0;
    answer(res, 202, `${service}: cache flushed\n`);
    return;
  }
  const end = latency.startTimer();
  if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
  const code = Math.random() < faults.errorRate ? 500 : 200;
  requests.inc({ code: String(code) });
  end();
  answer(res, code, code === 200 ? `${service}: ok\n` : `${service}: injected failure\n`);
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => answer(res, 500, String(err)));
});
server.listen(port, host, () => process.stdout.write(`${service} listening on ${host}:${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
