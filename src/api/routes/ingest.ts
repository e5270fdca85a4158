import { Router, type RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import {
  alertFromGeneric,
  alertmanagerPayloadSchema,
  alertsFromAlertmanager,
  genericAlertSchema,
} from '../../domain/alert.js';
import { ingestGroup, type IngestConfig } from '../../incidents/ingest.js';
import type { Metrics } from '../../lib/metrics.js';
import { requireRole, type TokenStore } from '../auth.js';
import { invalidInput } from '../errors.js';

export interface IngestRoutesDeps {
  client: Client;
  config: IngestConfig;
  metrics: Metrics;
  tokens: TokenStore;
  /** Body parsing, placed after authentication so an unauthenticated sender's body is never read. */
  json: RequestHandler;
  incidentUrl: (id: string) => string;
}

export function ingestRoutes(deps: IngestRoutesDeps): Router {
  const router = Router();
  const guard = [requireRole(deps.tokens, 'ingest'), deps.json];
  const count = (source: string, alerts: { status: string }[]): void => {
    for (const a of alerts) deps.metrics.alertsReceived.inc({ source, status: a.status });
  };

  /** Alertmanager's webhook (payload version 4): one alert group, one incident. */
  router.post('/alertmanager', ...guard, async (req, res) => {
    const parsed = alertmanagerPayloadSchema.safeParse(req.body);
    if (!parsed.success) throw invalidInput('Alertmanager payload', parsed.error);
    const alerts = alertsFromAlertmanager(parsed.data);
    const result = await ingestGroup(deps.client, deps.config, {
      commonLabels: parsed.data.commonLabels,
      identity: `${parsed.data.receiver}/${parsed.data.groupKey}`,
      alerts,
    });
    count('alertmanager', alerts);
    res.status(202).json({ incidents: [{ ...result, url: deps.incidentUrl(result.incidentId) }] });
  });

  /** A generic alert, or a list of them, from any other source. */
  router.post('/alerts', ...guard, async (req, res) => {
    const body: unknown = req.body;
    const parsed = genericAlertSchema
      .array()
      .min(1)
      .max(1000)
      .safeParse(Array.isArray(body) ? body : [body]);
    if (!parsed.success) throw invalidInput('alert', parsed.error);
    const receivedAt = new Date();
    const groups = new Map<string, ReturnType<typeof alertFromGeneric>[]>();
    for (const input of parsed.data) {
      const alert = alertFromGeneric(input, receivedAt);
      const key = JSON.stringify([alert.alertName, input.service, alert.labels['namespace'] ?? '']);
      groups.set(key, [...(groups.get(key) ?? []), alert]);
    }
    const incidents = [];
    for (const alerts of groups.values()) {
      const first = alerts[0];
      if (!first) continue;
      const result = await ingestGroup(deps.client, deps.config, {
        commonLabels: first.labels,
        identity: first.fingerprint,
        alerts,
      });
      count('api', alerts);
      incidents.push({ ...result, url: deps.incidentUrl(result.incidentId) });
    }
    res.status(202).json({ incidents });
  });

  return router;
}
