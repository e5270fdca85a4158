import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startAlertmanagerServer, writeAlertmanagerWebhookConfig } from '../../demo/daemons.js';

export interface RunningAlertmanager {
  url: string;
  /** Posts alerts to Alertmanager's own API, as Prometheus does. */
  fire: (
    alerts: {
      labels: Record<string, string>;
      annotations?: Record<string, string>;
      startsAt?: string;
      endsAt?: string;
    }[],
  ) => Promise<void>;
  /** Webhook requests that failed (each is sent again until one succeeds), from Alertmanager's /metrics. */
  failedRequests: () => Promise<number>;
  close: () => Promise<void>;
}

/**
 * Runs Debian's Alertmanager on loopback, routing every alert to a webhook with a bearer token read
 * from a file, grouped quickly so a test sees the notification within seconds.
 */
export async function startAlertmanager(webhookUrl: string, token: string): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-alertmanager-'));
  writeAlertmanagerWebhookConfig(dir, { url: webhookUrl, token, groupInterval: '2s', sendResolved: true });
  const port = await freePort();
  const daemon = await startAlertmanagerServer(dir, port);
  const { url } = daemon;
  return {
    url,
    fire: async (alerts) => {
      const r = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts.map((a) => ({ generatorURL: 'http://127.0.0.1:9/graph', ...a }))),
      });
      if (!r.ok) throw new Error(`alertmanager refused the alerts: HTTP ${r.status} ${await r.text()}`);
    },
    failedRequests: async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return text
        .split('\n')
        .filter(
          (l) => l.startsWith('alertmanager_notification_requests_failed_total{') && l.includes('"webhook"'),
        )
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    },
    close: daemon.close,
  };
}
