import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Metrics } from '../../lib/metrics.js';

export function healthRoutes(deps: { client: Client; temporalTimeoutMs: number }): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const started = Date.now();
    try {
      await deps.client.withDeadline(started + deps.temporalTimeoutMs, () =>
        deps.client.connection.workflowService.getSystemInfo({}),
      );
      res.json({ status: 'ok', temporal: { reachable: true, latencyMs: Date.now() - started } });
    } catch (err) {
      res.status(503).json({
        status: 'degraded',
        temporal: { reachable: false, error: err instanceof Error ? err.message : String(err) },
      });
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
