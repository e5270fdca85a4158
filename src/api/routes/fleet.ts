import { Router } from 'express';
import type Docker from 'dockerode';
import { createFleetReader, EngineUnreachableError } from '../../fleet/collect.js';
import type { FleetHistory } from '../../fleet/history.js';
import { interventionCounts } from '../../fleet/interventions.js';
import { fleetRisk, type FleetRisk } from '../../fleet/risk.js';
import { selectorText, type FleetSelector } from '../../fleet/selector.js';
import type { Metrics } from '../../lib/metrics.js';
import { requireRole, type TokenStore } from '../auth.js';
import { HttpError } from '../errors.js';
import type { Body } from '../schemas/common.js';
import type { fleetResponseSchema } from '../schemas/fleet.js';

export interface FleetRoutesDeps {
  tokens: TokenStore;
  docker: Docker;
  selector: FleetSelector;
  /** Where the counts of interventions come from: this process's registry. */
  metrics: Pick<Metrics, 'remediationActions'>;
  /** The fleet sampler's recent samples, for each container's risk; without it every risk is unknown. */
  history?: FleetHistory;
}

const NOT_SAMPLED: FleetRisk = {
  level: 'unknown',
  probability: null,
  secondsToThreshold: null,
  basis: 'the fleet sampler is off (STEADFAST_FLEET_SAMPLE_INTERVAL=0s)',
};

/** CPU, memory, restarts and network of the containers STEADFAST_FLEET_LABEL selects. */
export function fleetRoutes(deps: FleetRoutesDeps): Router {
  const router = Router();
  const read = createFleetReader(deps.docker, { selector: deps.selector });
  router.get('/fleet', requireRole(deps.tokens, 'read'), async (_req, res) => {
    try {
      const answer = await read(await interventionCounts(deps.metrics.remediationActions));
      const containers = answer.containers.map((row) => ({
        ...row,
        risk: deps.history ? fleetRisk(deps.history.get(row.id) ?? [], row.memoryLimited) : NOT_SAMPLED,
      }));
      res.json({ ...answer, containers, selector: selectorText(deps.selector) } satisfies Body<
        typeof fleetResponseSchema
      >);
    } catch (err) {
      if (err instanceof EngineUnreachableError) throw new HttpError(503, 'DockerUnreachable', err.message);
      throw err;
    }
  });
  return router;
}
