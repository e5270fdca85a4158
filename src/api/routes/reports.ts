import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Logger } from '../../lib/logger.js';
import { buildReport, loadReport } from '../../reports/index.js';
import { stateQuery } from '../../workflows/messages.js';
import { principalOf, requireRole, type TokenStore } from '../auth.js';
import { invalidInput } from '../errors.js';

const idSchema = z.string().regex(/^[A-Za-z0-9._-]{1,255}$/, 'an incident ID');
const reportQuerySchema = z.object({ download: z.enum(['0', '1']).optional() }).strict();

export interface ReportRoutesDeps {
  client: Client;
  tokens: TokenStore;
  logger: Logger;
  temporalTimeoutMs: number;
  reportsDir: string;
  workflowUrl: (id: string) => string;
}

/**
 * The page runs its own inline scripts (uPlot and the chart) and nothing else: each is allowed by its
 * hash, and the sandbox gives the page an origin of its own, so even a report opened from the API's
 * origin could never read the console's token.
 */
function reportPolicy(html: string): string {
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (m) =>
      `'sha256-${createHash('sha256')
        .update(m[1] ?? '', 'utf8')
        .digest('base64')}'`,
  );
  return [
    "default-src 'none'",
    `script-src ${hashes.join(' ') || "'none'"}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    'sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox',
  ].join('; ');
}

export function reportRoutes(deps: ReportRoutesDeps): Router {
  const router = Router();
  const { client } = deps;

  /** Who the token is: the console shows it and offers decisions only to the approve role. */
  router.get('/me', requireRole(deps.tokens, 'read'), (_req, res) => {
    const { identity, roles } = principalOf(res);
    res.set('Cache-Control', 'no-store').json({ identity, roles });
  });

  router.get('/incidents/:id/report', requireRole(deps.tokens, 'read'), async (req, res) => {
    const id = idSchema.safeParse(req.params['id']);
    if (!id.success) throw invalidInput('incident ID', id.error);
    const query = reportQuerySchema.safeParse(req.query);
    if (!query.success) throw invalidInput('report options', query.error);
    let html: string;
    let source: 'temporal' | 'archive';
    try {
      html = await client.withDeadline(Date.now() + deps.temporalTimeoutMs, async () =>
        buildReport({
          state: await client.workflow.getHandle(id.data).query(stateQuery),
          temporal: client,
          workflowUrl: deps.workflowUrl(id.data),
        }),
      );
      source = 'temporal';
    } catch (err) {
      // Temporal deletes histories after the namespace's retention, and may be down: the report
      // written when the incident closed is then the record.
      const saved = await loadReport(deps.reportsDir, id.data);
      if (saved === undefined) throw err;
      deps.logger.info(
        { event: 'report.from-archive', incidentId: id.data, err },
        `incident ${id.data}: report served from ${deps.reportsDir}`,
      );
      html = saved;
      source = 'archive';
    }
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': reportPolicy(html),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      'X-Report-Source': source,
    });
    if (query.data.download === '1') res.set('Content-Disposition', `attachment; filename="${id.data}.html"`);
    res.send(html);
  });
  return router;
}
