import { Router } from 'express';
import { z } from 'zod';
import { incidentPostmortem } from '../../incidents/postmortem.js';
import { incidentReport, type ReportDeps } from '../../incidents/report.js';
import { principalOf, requireRole, type TokenStore } from '../auth.js';
import { invalidInput } from '../errors.js';
import { idSchema } from './incidents.js';
import { reportPolicy, reportScripts } from '../../reports/policy.js';

export const reportQuerySchema = z.object({ download: z.enum(['0', '1']).optional() }).strict();

export interface ReportRoutesDeps extends ReportDeps {
  tokens: TokenStore;
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
      'Content-Security-Policy': reportPolicy(reportScripts(html), 'header'),
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
