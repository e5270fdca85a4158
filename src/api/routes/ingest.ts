import { Router, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import {
  alertFromGeneric,
  alertmanagerPayloadSchema,
  alertsFromAlertmanager,
  genericAlertSchema,
  type Alert,
} from '../../domain/alert.js';
import { correlate } from '../../domain/correlation.js';
import { ingestGroup, type IngestConfig } from '../../incidents/ingest.js';
import { NewIncidentLimit } from '../../incidents/new-incident-limit.js';
import { RecentDeliveries } from '../../incidents/recent-deliveries.js';
import type { Metrics } from '../../lib/metrics.js';
import { principalOf, requireRole, type TokenStore } from '../auth.js';
import { HttpError, invalidInput } from '../errors.js';
import type { Body } from '../schemas/common.js';
import type { ingestResponseSchema } from '../schemas/operations.js';

/**
 * Incidents one `POST /alerts` may open or reach. Each group is a signalWithStart: one round trip to
 * Temporal under its own deadline, one incident opened. They run one after the other, so a failure
 * (Temporal down, a deadline passed) ends the request with a 503 at that group, leaving a known prefix
 * done that a retry joins again rather than duplicates; in parallel, a failure would leave an unknown
 * subset and one request would put its whole fan-out on Temporal's frontend at once. With up to 1,000
 * groups one call could open 1,000 incidents and hold its connection for 1,000 round trips; 20 is more
 * distinct problems than one sender plausibly reports in one breath, and takes well under a second at
 * Temporal's usual few milliseconds per start. More goes in several requests, each accepted or refused
 * as a whole: the count is checked before the first start, so a refused request changed nothing.
 */
export const MAX_GROUPS_PER_REQUEST = 20;

export interface IngestRoutesDeps {
  client: Client;
  config: IngestConfig;
  metrics: Metrics;
  tokens: TokenStore;
  /** Body parsing, placed after authentication so an unauthenticated sender's body is never read. */
  json: RequestHandler;
  incidentUrl: (id: string) => string;
  /** Incidents one sender may open a minute (NewIncidentLimit); 0 or absent: no limit. */
  newIncidentsPerMinute?: number;
}

export function ingestRoutes(deps: IngestRoutesDeps): Router {
  const router = Router();
  const guard = [requireRole(deps.tokens, 'ingest'), deps.json];
  const recent = new RecentDeliveries((n) => deps.metrics.alertsAlreadyDelivered.inc(n));
  const count = (source: string, alerts: { status: string }[]): void => {
    for (const a of alerts) deps.metrics.alertsReceived.inc({ source, status: a.status });
  };
  const admit = newIncidentAdmission(deps.newIncidentsPerMinute ?? 0);

  /** Alertmanager's webhook (payload version 4): one alert group, one incident. */
  router.post('/alertmanager', ...guard, async (req, res) => {
    const parsed = alertmanagerPayloadSchema.safeParse(req.body);
    if (!parsed.success) throw invalidInput('Alertmanager payload', parsed.error);
    const alerts = alertsFromAlertmanager(parsed.data, principalOf(res).identity);
    const group = {
      commonLabels: parsed.data.commonLabels,
      identity: `${parsed.data.receiver}/${parsed.data.groupKey}`,
      alerts,
    };
    const { incidentId } = correlate(group.commonLabels, group.identity, deps.config.correlationLabels);
    const release = admit(res, [[incidentId, alerts]]);
    const result = await ingestGroup(deps.client, deps.config, group, recent).catch((err: unknown) => {
      release([incidentId]);
      throw err;
    });
    count('alertmanager', alerts);
    res.status(202).json({
      incidents: [{ ...result, url: deps.incidentUrl(result.incidentId) }],
    } satisfies Body<typeof ingestResponseSchema>);
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
    const { identity } = principalOf(res);
    const alerts = parsed.data.map((input) => alertFromGeneric(input, receivedAt, identity));
    const groups = groupByIncident(alerts, deps.config.correlationLabels);
    if (groups.size > MAX_GROUPS_PER_REQUEST) {
      throw new HttpError(
        413,
        'TooManyIncidents',
        `these alerts belong to ${groups.size} incidents (by their correlation labels); one request may ` +
          `reach at most ${MAX_GROUPS_PER_REQUEST}: send them in several requests. Nothing was recorded.`,
      );
    }
    const release = admit(res, [...groups]);
    const incidents = [];
    // The groups not yet recorded: on a failure they are given back to the sender's limit.
    const pending = [...groups.keys()];
    for (const alerts of groups.values()) {
      const first = alerts[0];
      if (!first) continue;
      const group = { commonLabels: first.labels, identity: first.fingerprint, alerts };
      const result = await ingestGroup(deps.client, deps.config, group, recent).catch((err: unknown) => {
        release(pending);
        throw err;
      });
      pending.shift();
      count('api', alerts);
      incidents.push({ ...result, url: deps.incidentUrl(result.incidentId) });
    }
    res.status(202).json({ incidents } satisfies Body<typeof ingestResponseSchema>);
  });

  return router;
}

/**
 * Alerts grouped by the incident each correlates to, as ingestGroup will compute it from the group's
 * first alert: grouped by anything else, one alert could carry another of a different incident along.
 */
function groupByIncident(
  alerts: Alert[],
  correlationLabels: IngestConfig['correlationLabels'],
): Map<string, Alert[]> {
  const groups = new Map<string, Alert[]>();
  for (const alert of alerts) {
    const { incidentId } = correlate(alert.labels, alert.fingerprint, correlationLabels);
    const group = groups.get(incidentId);
    if (group) group.push(alert);
    else groups.set(incidentId, [alert]);
  }
  return groups;
}

/**
 * Refuses a whole request, before anything is sent, when its firing groups would take its sender past
 * `perMinute` new incidents (0: no limit). Counted by incident ID, which INCIDENT_ID bounds, not by
 * correlation key, which holds label values of kilobytes: the limit remembers thousands per sender.
 * Admitted, it answers how to give back the incidents the request then did not open.
 */
function newIncidentAdmission(
  perMinute: number,
): (
  res: Response,
  groups: [incidentId: string, alerts: { status: string }[]][],
) => (notOpened: readonly string[]) => void {
  const limit = new NewIncidentLimit(perMinute);
  return (res, groups) => {
    const { identity } = principalOf(res);
    const keys = groups.flatMap(([id, alerts]) => (alerts.some((a) => a.status === 'firing') ? [id] : []));
    const answer = limit.admit(identity, keys);
    if (answer.ok) {
      const counted = new Set(answer.counted);
      return (notOpened) =>
        limit.release(
          identity,
          notOpened.filter((id) => counted.has(id)),
        );
    }
    res.set('Retry-After', String(answer.retryAfterS));
    throw new HttpError(
      503,
      'TooManyNewIncidents',
      `${identity} may open ${perMinute} incidents a minute (STEADFAST_MAX_NEW_INCIDENTS_PER_MINUTE) ` +
        `and this request would open more; nothing was recorded: retry in ${answer.retryAfterS}s`,
    );
  };
}
