import { createHash } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { incidentPostmortem } from '../../incidents/postmortem.js';
import { incidentReport, type ReportDeps } from '../../incidents/report.js';
import { principalOf, requireRole, type TokenStore } from '../auth.js';
import { invalidInput } from '../errors.js';
import { idSchema } from './incidents.js';

export const reportQuerySchema = z.object({ download: z.enum(['0', '1']).optional() }).strict();

export interface ReportRoutesDeps extends ReportDeps {
  tokens: TokenStore;
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
    const { html, source } = await incidentReport(deps, id.data);
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

  /** The postmortem draft (Markdown); as the report, from Temporal or else the file saved at close. */
  router.get('/incidents/:id/postmortem', requireRole(deps.tokens, 'read'), async (req, res) => {
    const id = idSchema.safeParse(req.params['id']);
    if (!id.success) throw invalidInput('incident ID', id.error);
    const query = reportQuerySchema.safeParse(req.query);
    if (!query.success) throw invalidInput('postmortem options', query.error);
    const { markdown, source } = await incidentPostmortem(deps, id.data);
    res.set({
      'Content-Type': 'text/markdown; charset=utf-8',
      // Text to read or download: a browser that renders it anyway runs nothing and loads nothing.
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      'X-Report-Source': source,
    });
    if (query.data.download === '1') res.set('Content-Disposition', `attachment; filename="${id.data}.md"`);
    res.send(markdown);
  });
  return router;
}
