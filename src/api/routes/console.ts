import express, { Router, type Response } from 'express';
import { CONSOLE_DIR, UPLOT_FILES } from '../../reports/assets.js';

/**
 * The console's pages hold no data: every incident comes from the API with the user's token, so the
 * pages themselves need none. They may load only their own scripts and styles and talk only to this
 * origin.
 */
const POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const secure = (res: Response): void => {
  res.set({
    'Content-Security-Policy': POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
};

/** The web console at `/`: static files served as they are (no build step), and uPlot from node_modules. */
export function consoleRoutes(): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    secure(res);
    res.sendFile('index.html', { root: CONSOLE_DIR });
  });
  router.use(
    '/console',
    (_req, res, next) => {
      secure(res);
      next();
    },
    express.static(CONSOLE_DIR, { index: false, dotfiles: 'ignore', fallthrough: true }),
  );
  router.get('/vendor/uPlot.iife.min.js', (_req, res) => {
    secure(res);
    res.sendFile(UPLOT_FILES.js);
  });
  router.get('/vendor/uPlot.min.css', (_req, res) => {
    secure(res);
    res.sendFile(UPLOT_FILES.css);
  });
  return router;
}
