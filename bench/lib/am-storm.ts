import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  freePort,
  startAlertmanagerServer,
  writeAlertmanagerWebhookConfig,
  type RunningDaemon,
} from '../../demo/daemons.js';

/**
 * The storm as Alertmanager delivers it: alerts fired into Debian's Alertmanager, which groups them and
 * notifies Steadfast once per group and group_interval with every alert of the group so far (its
 * re-deliveries), never one webhook per alert. A relay in front of the API notes which alerts each
 * accepted (202) notification carried, so the storm ends when every alert has reached its incident.
 */
export interface AlertmanagerStormOptions {
  apiUrl: string;
  token: string;
  dir: string;
  alerts: number;
  groups: number;
  /** Alerts per POST to Alertmanager's API, as a Prometheus with many rules firing at once sends. */
  batch: number;
  groupIntervalSeconds: number;
  runId: string;
  abort: AbortSignal;
}

export interface AlertmanagerStormResult {
  seconds: number;
  /** The dedupe keys (fingerprint@startsAt, as Steadfast keys them) that reached each group's incident. */
  accepted: Set<string>[];
  notifications: number;
  /** Alerts those notifications carried, re-deliveries included. */
  alertsNotified: number;
  refused: number;
  alertmanager: RunningDaemon;
}

interface WebhookBody {
  commonLabels?: Record<string, string>;
  alerts?: { fingerprint?: string; startsAt?: string; labels?: Record<string, string> }[];
}

/** Forwards every notification to the API and, once it answered 202, notes the alerts it carried. */
function startRelay(
  apiUrl: string,
  onAccepted: (body: WebhookBody) => void,
  onRefused: () => void,
): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      fetch(`${apiUrl}${req.url ?? '/'}`, {
        method: 'POST',
        headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
        body,
      }).then(
        async (answer) => {
          if (answer.status === 202) onAccepted(JSON.parse(body.toString('utf8')) as WebhookBody);
          else onRefused();
          res.writeHead(answer.status).end(await answer.text());
        },
        () => {
          onRefused();
          res.writeHead(502).end();
        },
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The group's labels: one service per group, as the storm's incidents are keyed. */
export const stormService = (runId: string, group: number): string => `storm-${runId}-${group}`;

async function fire(alertmanagerUrl: string, options: AlertmanagerStormOptions): Promise<void> {
  const base = Date.UTC(2026, 0, 1, 6);
  const endsAt = new Date(Date.now() + 2 * 3600_000).toISOString();
  for (let start = 0; start < options.alerts; start += options.batch) {
    options.abort.throwIfAborted();
    const batch = [];
    for (let i = start; i < Math.min(start + options.batch, options.alerts); i++) {
      // Round robin over the groups, so every group keeps receiving alerts through the storm.
      const group = i % options.groups;
      const service = stormService(options.runId, group);
      batch.push({
        labels: { alertname: 'BenchStorm', service, namespace: 'bench', instance: `host-${i}:9100` },
        annotations: { summary: `BenchStorm on ${service}` },
        startsAt: new Date(base + i * 1000).toISOString(),
        endsAt,
        generatorURL: 'http://127.0.0.1:9/graph',
      });
    }
    const answer = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    if (!answer.ok) throw new Error(`Alertmanager refused alerts: ${answer.status} ${await answer.text()}`);
  }
}

/** Runs the storm through Alertmanager until every alert reached its incident (or 10 minutes pass). */
export async function alertmanagerStorm(options: AlertmanagerStormOptions): Promise<AlertmanagerStormResult> {
  const accepted = Array.from({ length: options.groups }, () => new Set<string>());
  const groupOf = new Map(
    Array.from({ length: options.groups }, (_, g) => [stormService(options.runId, g), g]),
  );
  const counts = { notifications: 0, alertsNotified: 0, refused: 0, distinct: 0 };
  const relay = await startRelay(
    options.apiUrl,
    (body) => {
      counts.notifications++;
      const set = accepted[groupOf.get(body.commonLabels?.['service'] ?? '') ?? -1];
      for (const a of body.alerts ?? []) {
        counts.alertsNotified++;
        const key = `${a.fingerprint ?? ''}@${a.startsAt ?? ''}`;
        if (set && !set.has(key)) {
          set.add(key);
          counts.distinct++;
        }
      }
    },
    () => counts.refused++,
  );
  mkdirSync(options.dir, { recursive: true });
  const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/api/v1/alertmanager`;
  writeAlertmanagerWebhookConfig(options.dir, {
    url: relayUrl,
    token: options.token,
    groupInterval: `${options.groupIntervalSeconds}s`,
    sendResolved: false,
  });
  const alertmanager = await startAlertmanagerServer(options.dir, await freePort());
  try {
    const started = performance.now();
    await fire(alertmanager.url, options);
    for (const deadline = Date.now() + 600_000; counts.distinct < options.alerts;) {
      options.abort.throwIfAborted();
      if (Date.now() > deadline)
        throw new Error(
          `only ${counts.distinct} of ${options.alerts} alerts reached Steadfast in 10 minutes`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    return { seconds, accepted, ...counts, alertmanager };
  } catch (err) {
    await alertmanager.close();
    throw err;
  } finally {
    relay.close();
  }
}
