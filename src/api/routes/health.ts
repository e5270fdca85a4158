import { Router } from 'express';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import type { Metrics } from '../../lib/metrics.js';
import { principalWithRole, type TokenStore } from '../auth.js';

// gRPC status codes a health probe meets, by name; anything else is reported as its number.
const GRPC_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  4: 'DEADLINE_EXCEEDED',
  7: 'PERMISSION_DENIED',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

/**
 * Why Temporal did not answer, as a gRPC status name only. The error's own text names the server's
 * address (and sometimes its certificate or resolver details): that stays in the server's logs.
 */
function reasonOf(err: unknown): string {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e)) return GRPC_NAMES[e.code] ?? `gRPC status ${e.code}`;
  }
  return 'no answer';
}

/**
 * Health for load balancers and Compose: anyone gets the status and its HTTP code, nothing more. A
 * caller with the read role also gets the Temporal latency, or the gRPC status when it is down.
 */
export function healthRoutes(deps: {
  client: Client;
  temporalTimeoutMs: number;
  tokens: TokenStore;
}): Router {
  const router = Router();
  router.get('/health', async (req, res) => {
    const detailed = principalWithRole(deps.tokens, req, 'read') !== undefined;
    res.set('Cache-Control', 'no-store');
    const started = Date.now();
    try {
      await deps.client.withDeadline(started + deps.temporalTimeoutMs, () =>
        deps.client.connection.workflowService.getSystemInfo({}),
      );
      const temporal = { reachable: true, latencyMs: Date.now() - started };
      res.json(detailed ? { status: 'ok', temporal } : { status: 'ok' });
    } catch (err) {
      const temporal = { reachable: false, reason: reasonOf(err) };
      res.status(503).json(detailed ? { status: 'degraded', temporal } : { status: 'degraded' });
    }
  });
  return router;
}

export function metricsRoute(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
