import { Router } from 'express';
import { apiDocument } from '../openapi/index.js';

/**
 * GET /openapi.json, for anyone: the document describes endpoints and shapes, the same for every
 * deployment, and holds no setting, token or incident data, as the checked-in docs/openapi.json shows.
 */
export function openApiRoutes(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(apiDocument());
  });
  return router;
}
