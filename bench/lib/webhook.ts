import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { text as readText } from 'node:stream/consumers';
import type { AlertmanagerPayload } from '../../src/domain/alert.js';

/** One alert of a group, as Alertmanager would carry it. */
export interface AlertSpec {
  labels: Record<string, string>;
  fingerprint: string;
  startsAt: string;
  summary: string;
}

/** Alertmanager's fingerprint is a hash of the label set; any stable 16-hex digest of it serves here. */
export function fingerprintOf(labels: Record<string, string>): string {
  const sorted = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

export function alertSpec(labels: Record<string, string>, startsAt: string): AlertSpec {
  return {
    labels,
    fingerprint: fingerprintOf(labels),
    startsAt,
    summary: `${labels['alertname'] ?? 'alert'} on ${labels['service'] ?? 'unknown'}`,
  };
}

/**
 * A webhook body shaped like Alertmanager's (version 4) for one group: the group labels are its
 * group_by labels, and the common labels are those every alert in this delivery shares, as Alertmanager
 * computes them. Built as the parsed type, so the raw-client path can read it without the API's parser.
 */
export function alertmanagerPayload(
  groupLabels: Record<string, string>,
  alerts: readonly AlertSpec[],
): AlertmanagerPayload {
  const [first, ...rest] = alerts;
  if (!first) throw new Error('a delivery needs at least one alert');
  const common = Object.fromEntries(
    Object.entries(first.labels).filter(([name, value]) => rest.every((a) => a.labels[name] === value)),
  );
  const groupKey = `{}:{${Object.entries(groupLabels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')}}`;
  return {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'steadfast',
    groupLabels,
    commonLabels: common,
    commonAnnotations: alerts.length === 1 ? { summary: first.summary } : {},
    externalURL: 'http://127.0.0.1:9093',
    alerts: alerts.map((a) => ({
      status: 'firing' as const,
      labels: a.labels,
      annotations: { summary: a.summary },
      startsAt: a.startsAt,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: a.fingerprint,
    })),
  };
}

export interface PostResult {
  status: number;
  body: string;
  ms: number;
}

/**
 * Posts pre-serialised bodies over kept-alive connections, as Alertmanager's Go client does, so the
 * figures hold the API's cost and not a TCP handshake per request. node:http rather than fetch: its
 * client side costs less CPU in the process that also hosts the API being measured.
 */
export class WebhookClient {
  private readonly agent: Agent;
  private readonly base: URL;
  /** Requests sent again because the server had closed the idle connection they were given. */
  reconnects = 0;

  constructor(
    baseUrl: string,
    private readonly token: string,
    maxSockets: number,
  ) {
    this.base = new URL(baseUrl);
    // Idle connections are dropped after 2 s, well before the server's 5 s keep-alive timeout: close to
    // it, a connection the server is closing can be handed to a new request (the bench's event loop,
    // which also runs the server, is often late by a second under load).
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: 2000 });
  }

  async post(path: string, body: string, timeoutMs = 30_000): Promise<PostResult> {
    const started = performance.now();
    try {
      return await this.send(path, body, timeoutMs, started);
    } catch (err) {
      // Node's documented keep-alive race: a reused connection reset before any answer was never read
      // by the server, so sending again cannot deliver twice.
      if (!(err instanceof ReusedSocketReset)) throw err;
      this.reconnects++;
      return this.send(path, body, timeoutMs, started);
    }
  }

  private send(path: string, body: string, timeoutMs: number, started: number): Promise<PostResult> {
    const bytes = Buffer.from(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname,
          port: this.base.port,
          path,
          method: 'POST',
          agent: this.agent,
          timeout: timeoutMs,
          headers: {
            authorization: `Bearer ${this.token}`,
            'content-type': 'application/json',
            'content-length': bytes.length,
          },
        },
        (res) => {
          readText(res).then(
            (text) => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started }),
            reject,
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(req.reusedSocket && err.code === 'ECONNRESET' ? new ReusedSocketReset(err.message) : err);
      });
      req.end(bytes);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

class ReusedSocketReset extends Error {
  override name = 'ReusedSocketReset';
}
