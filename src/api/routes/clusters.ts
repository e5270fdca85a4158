import { Router, type RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { clusterIncidents, DEFAULT_OPTIONS } from '../../clusters/cluster.js';
import { ClusteredAlerts } from '../../clusters/counted.js';
import { readRecentIncidents, type ReadIncident } from '../../clusters/read.js';
import type { IncidentState } from '../../domain/incident.js';
import { filterValue } from '../../incidents/list.js';
import type { Metrics } from '../../lib/metrics.js';
import { DECISION_ANSWER_MS } from '../../incidents/decisions.js';
import {
  MERGE_ANSWER_WAIT_MS,
  type MergeRequest,
  mergeUpdate,
  type MergeResult,
  stateQuery,
} from '../../workflows/messages.js';
import { principalOf, requireRole, type TokenStore } from '../auth.js';
import { requestDeadline } from '../deadline.js';
import { fromTemporal, HttpError, invalidInput } from '../errors.js';
import type { clusterListResponseSchema, clusterSchema, mergeResponseSchema } from '../schemas/clusters.js';
import type { Body } from '../schemas/common.js';
import { idSchema } from './incidents.js';
import { queryInt } from '../query-params.js';

export const clusterQuerySchema = z
  .object({
    service: filterValue.optional(),
    limit: queryInt(1, 200, 100),
  })
  .strict();

export const mergeBodySchema = z
  .object({
    into: idSchema,
    reason: z.string().max(2000).optional(),
    // When the incident merged, and the one merged into, opened as the sender saw them (their `openedAt`):
    // either ID may have closed and opened again since the page was read (409 StaleDecision, MergeRefused).
    opened: z.iso.datetime({ offset: true }).max(64).optional(),
    intoOpened: z.iso.datetime({ offset: true }).max(64).optional(),
  })
  .strict();

export interface ClusterRoutesDeps {
  client: Client;
  tokens: TokenStore;
  metrics: Pick<Metrics, 'alertsClustered'>;
  json: RequestHandler;
  temporalTimeoutMs: number;
  workflowUrl: (id: string) => string;
  now?: () => number;
}

/** GET /clusters (similar-alert clusters of recent incidents) and POST /incidents/:id/merge. */
export function clusterRoutes(deps: ClusterRoutesDeps): Router {
  const router = Router();
  const { client } = deps;
  const bounded = <T>(fn: () => Promise<T>): Promise<T> =>
    client.withDeadline(Date.now() + deps.temporalTimeoutMs, fn);
  const counted = new ClusteredAlerts(deps.metrics.alertsClustered);
  const now = deps.now ?? Date.now;

  router.get('/clusters', requireRole(deps.tokens, 'read'), async (req, res) => {
    const parsed = clusterQuerySchema.safeParse(req.query);
    if (!parsed.success) throw invalidInput('cluster query', parsed.error);
    const read = await readRecentIncidents(
      { client, bounded: requestDeadline(client, deps.temporalTimeoutMs) },
      { ...parsed.data, now: now() },
    );
    // An incident merged into another is part of that one now.
    const subjects = read.incidents.filter((i) => !i.state.mergedInto).map(subjectOf);
    const { clusters, noise } = clusterIncidents(subjects);
    const answer = clusters.map((c) => clusterBody(c, deps.workflowUrl));
    counted.count(answer.map((c) => ({ members: c.incidents })));
    const w = DEFAULT_OPTIONS.weights;
    res.json({
      clusters: answer,
      considered: subjects.length,
      unclustered: noise.length,
      unanswered: read.unanswered,
      method: {
        eps: DEFAULT_OPTIONS.eps,
        minPts: DEFAULT_OPTIONS.minPts,
        weights: { labels: w.labels, text: w.text, time: w.time },
        timeScaleMinutes: w.timeScaleMs / 60_000,
      },
    } satisfies Body<typeof clusterListResponseSchema>);
  });

  router.post('/incidents/:id/merge', requireRole(deps.tokens, 'approve'), deps.json, async (req, res) => {
    const id = idSchema.safeParse(req.params['id']);
    if (!id.success) throw invalidInput('incident ID', id.error);
    const body = mergeBodySchema.safeParse(req.body ?? {});
    if (!body.success)
      throw invalidInput('merge (send { "into": "<incident ID>" } and an optional reason)', body.error);
    const { into, reason, opened, intoOpened } = body.data;
    if (into === id.data)
      throw new HttpError(400, 'InvalidInput', 'an incident cannot be merged into itself');
    await openTarget(into, intoOpened, (x) => bounded(() => client.workflow.getHandle(x).query(stateQuery)));
    const { identity } = principalOf(res);
    let result: MergeResult;
    try {
      // Longer than the merge waits for its target's answer (MERGE_ANSWER_WAIT_MS): cut off before it, the
      // answer said nothing was recorded while the merge went on.
      // Taken up later than that, the merge is refused: this answer may already have said it was not made.
      const expiresAt = new Date(Date.now() + deps.temporalTimeoutMs - DECISION_ANSWER_MS).toISOString();
      const request: MergeRequest = {
        into,
        actor: identity,
        via: 'api',
        expiresAt,
        ...(reason ? { reason } : {}),
        ...(opened ? { opened } : {}),
        ...(intoOpened ? { intoOpened } : {}),
      };
      result = await client.withDeadline(Date.now() + deps.temporalTimeoutMs + MERGE_ANSWER_WAIT_MS, () =>
        client.workflow.getHandle(id.data).executeUpdate(mergeUpdate, { args: [request] }),
      );
    } catch (err) {
      throw closedOrNot(err);
    }
    res.json({
      merged: result.incidentId,
      into: result.into,
      alertsSent: result.alertsSent,
      actor: identity,
      at: result.at,
    } satisfies Body<typeof mergeResponseSchema>);
  });
  return router;
}

/** The target must be a known, open incident not itself merged away: checked before anything is sent. */
async function openTarget(
  into: string,
  intoOpened: string | undefined,
  state: (id: string) => Promise<IncidentState>,
): Promise<void> {
  const target = await state(into).catch((err: unknown) => {
    const http = fromTemporal(err);
    if (http?.status === 404)
      throw new HttpError(404, 'IncidentNotFound', `no incident ${into} to merge into`);
    throw err;
  });
  if (target.stage === 'closed') throw new HttpError(409, 'IncidentClosed', `incident ${into} is closed`);
  if (target.mergedInto) {
    throw new HttpError(409, 'MergeRefused', `incident ${into} was itself merged into ${target.mergedInto}`);
  }
  // The target says so too when asked (answerMerge), but a worker older than that check would agree.
  if (intoOpened !== undefined && target.openedAt !== intoOpened) {
    throw new HttpError(
      409,
      'MergeRefused',
      `incident ${into} cannot take alerts: it opened again at ${target.openedAt}, after the merge was asked for on an earlier opening`,
    );
  }
}

/** An update to a finished workflow fails as if it did not exist: for the incident merged, say closed. */
function closedOrNot(err: unknown): unknown {
  const message = err instanceof Error ? err.message : '';
  if (/already completed/i.test(message))
    return new HttpError(409, 'IncidentClosed', 'the incident is closed');
  return err;
}

function subjectOf({ status, state }: ReadIncident) {
  return {
    incidentId: state.incidentId,
    title: state.title,
    openedAt: state.openedAt,
    alerts: state.alerts,
    status,
    state,
  };
}

function clusterBody(
  c: { members: ReturnType<typeof subjectOf>[]; diameter: number; meanDistance: number },
  workflowUrl: (id: string) => string,
): z.input<typeof clusterSchema> {
  const members = [...c.members].sort((a, b) => a.openedAt.localeCompare(b.openedAt));
  return {
    id: members[0]?.incidentId ?? '',
    size: members.length,
    services: [...new Set(members.map((m) => m.state.service))].sort(),
    diameter: c.diameter,
    meanDistance: c.meanDistance,
    incidents: members.map(({ status, state }) => ({
      incidentId: state.incidentId,
      title: state.title,
      service: state.service,
      alertName: state.alertName,
      severity: state.severity,
      status,
      stage: state.stage,
      openedAt: state.openedAt,
      alerts: state.alerts.length,
      temporalUrl: workflowUrl(state.incidentId),
    })),
  };
}
