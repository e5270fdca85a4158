import { Router } from 'express';
import type Docker from 'dockerode';
import { createFleetReader, EngineUnreachableError, type FleetAnswer } from '../../fleet/collect.js';
import type { FleetHistory } from '../../fleet/history.js';
import { interventionCounts } from '../../fleet/interventions.js';
import type { PodAnswer } from '../../fleet/kubernetes.js';
import { fleetRisk, type FleetRisk } from '../../fleet/risk.js';
import { selectorText, type FleetSelector } from '../../fleet/selector.js';
import type { Metrics } from '../../lib/metrics.js';
import { requireRole, type TokenStore } from '../auth.js';
import { HttpError } from '../errors.js';
import type { Body } from '../schemas/common.js';
import type { fleetResponseSchema } from '../schemas/fleet.js';
import { messageOf } from '../../lib/message-of.js';

export interface FleetRoutesDeps {
  tokens: TokenStore;
  docker: Docker;
  selector: FleetSelector;
  /** Where the counts of interventions come from: this process's registry. */
  metrics: Pick<Metrics, 'remediationActions'>;
  /** The fleet sampler's recent samples, for each container's risk; without it every risk is unknown. */
  history?: FleetHistory;
  /** settings.kubeconfig: when set, the pods its cluster runs join the containers. */
  kubeconfig?: string;
}

type Fleet = Body<typeof fleetResponseSchema>;

const NOT_SAMPLED: FleetRisk = {
  level: 'unknown',
  probability: null,
  secondsToThreshold: null,
  basis: 'the fleet sampler is off (STEADFAST_FLEET_SAMPLE_INTERVAL=0s)',
};

const PODS_NOT_SAMPLED: FleetRisk = {
  ...NOT_SAMPLED,
  basis: 'the fleet sampler reads Docker containers only',
};

const settle = <T>(p: Promise<T>): Promise<PromiseSettledResult<T>> =>
  p.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );

/**
 * The pods' reader, made on first use: @kubernetes/client-node costs ~130 MB, loaded only when a
 * kubeconfig is set. A failed load is tried again on the next request.
 */
function lazyPods(kubeconfig: string, selector: FleetSelector): () => Promise<PodAnswer> {
  let reader: Promise<() => Promise<PodAnswer>> | undefined;
  return async () => {
    reader ??= import('../../fleet/kubernetes.js').then((m) => m.podReaderFromFile(kubeconfig, { selector }));
    try {
      return await (
        await reader
      )();
    } catch (err) {
      if (!(err instanceof Error && err.name === 'ClusterUnreachableError')) reader = undefined;
      throw err;
    }
  };
}

/**
 * Merges what each source answered: Docker's rows then the pods' (each by name). A source that failed
 * is named in `unavailable`; only when none answered is the whole request a 503.
 */
function merged(
  docker: PromiseSettledResult<FleetAnswer>,
  pods: PromiseSettledResult<PodAnswer> | undefined,
  rowRisk: (row: FleetAnswer['containers'][number]) => FleetRisk,
): Omit<Fleet, 'selector'> {
  const unavailable: Fleet['unavailable'] = [];
  const containers: Fleet['containers'] = [];
  let matched = 0;
  let truncated = false;
  if (docker.status === 'fulfilled') {
    containers.push(
      ...docker.value.containers.map((r) => ({ ...r, source: 'docker' as const, risk: rowRisk(r) })),
    );
    matched += docker.value.matched;
    truncated ||= docker.value.truncated;
  } else unavailable.push({ source: 'docker', reason: messageOf(docker.reason) });
  if (pods?.status === 'fulfilled') {
    containers.push(
      ...pods.value.pods.map((r) => ({ ...r, source: 'kubernetes' as const, risk: PODS_NOT_SAMPLED })),
    );
    matched += pods.value.matched;
    truncated ||= pods.value.truncated;
  } else if (pods) unavailable.push({ source: 'kubernetes', reason: messageOf(pods.reason) });
  return {
    at: new Date().toISOString(),
    matched,
    truncated,
    containers,
    ...(unavailable.length ? { unavailable } : {}),
  };
}

/** CPU, memory, restarts and network of the containers (and pods) STEADFAST_FLEET_LABEL selects. */
export function fleetRoutes(deps: FleetRoutesDeps): Router {
  const router = Router();
  const read = createFleetReader(deps.docker, { selector: deps.selector });
  const readPods = deps.kubeconfig ? lazyPods(deps.kubeconfig, deps.selector) : undefined;
  const rowRisk = (row: FleetAnswer['containers'][number]): FleetRisk =>
    deps.history ? fleetRisk(deps.history.get(row.id) ?? [], row.memoryLimited) : NOT_SAMPLED;
  router.get('/fleet', requireRole(deps.tokens, 'read'), async (_req, res) => {
    const counts = await interventionCounts(deps.metrics.remediationActions);
    const [docker, pods] = await Promise.all([
      settle(read(counts)),
      readPods ? settle(readPods()) : undefined,
    ]);
    if (docker.status === 'rejected') {
      const err: unknown = docker.reason;
      if (!(err instanceof EngineUnreachableError)) throw err;
      if (!pods) throw new HttpError(503, 'DockerUnreachable', err.message);
      if (pods.status === 'rejected') {
        throw new HttpError(503, 'FleetUnreachable', `${err.message}; ${messageOf(pods.reason)}`);
      }
    }
    const answer = merged(docker, pods, rowRisk);
    res.json({ ...answer, selector: selectorText(deps.selector) } satisfies Fleet);
  });
  return router;
}
