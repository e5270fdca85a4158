import { Router, type RequestHandler } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { CodecDecodeError } from '../../temporal/codec.js';
import { requireRole, type TokenStore } from '../auth.js';
import { HttpError, invalidInput } from '../errors.js';
import { jsonBody } from '../json-body.js';

/** Payloads of one history field fit Temporal's 2 MB blob limit; base64 and JSON make them larger. */
export const CODEC_MAX_BODY_BYTES = 8 * 1024 * 1024;

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');
// Payloads as proto3 JSON: every bytes field, metadata values included, is base64.
export const payloadsSchema = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string().max(256), base64).optional(), data: base64.optional() }))
    .max(10_000),
});

const fromJson = (p: z.infer<typeof payloadsSchema>['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  ),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): { metadata: Record<string, string>; data: string } => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

export interface CodecRoutesDeps {
  tokens: TokenStore;
  /** Absent when STEADFAST_CODEC_KEYS is unset: the endpoint then says the codec is off. */
  codec?: PayloadCodec;
  /** The Temporal namespace whose payloads the keys seal. */
  namespace: string;
  /** The Temporal Web UI's address: its origin alone may call from a browser. */
  uiUrl: string;
}

/**
 * Temporal's remote codec protocol (POST …/decode and …/encode with `{"payloads": [...]}`), so the
 * Web UI and `temporal workflow show --codec-endpoint` can show sealed payloads to people holding a
 * token with the read role. The key never leaves the process; only the payloads a caller already
 * has are opened.
 */
export function codecRoutes(deps: CodecRoutesDeps): Router {
  const router = Router();
  const uiOrigin = new URL(deps.uiUrl).origin;
  // The API's own parser (depth, `__proto__` and charset checks), at the codec's larger limit.
  const json = jsonBody(CODEC_MAX_BODY_BYTES);

  // Only the Web UI's origin may read the answers from a browser; the headers also go on refusals,
  // so the UI can tell a missing token from an unreachable server.
  const cors: RequestHandler = (req, res, next) => {
    res.vary('Origin');
    if (req.get('origin') === uiOrigin) {
      res.set({ 'Access-Control-Allow-Origin': uiOrigin, 'Access-Control-Allow-Credentials': 'true' });
    }
    next();
  };
  const operation: RequestHandler = (req, _res, next) => {
    if (req.params['operation'] !== 'decode' && req.params['operation'] !== 'encode') {
      throw new HttpError(404, 'NotFound', 'no such endpoint: the codec serves …/decode and …/encode');
    }
    next();
  };

  router.options('/codec/:operation', operation, cors, (req, res) => {
    if (req.get('origin') === uiOrigin) {
      res.set({
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
        'Access-Control-Max-Age': '600',
      });
    }
    res.status(204).end();
  });

  const codec = deps.codec;
  if (!codec) {
    // Refused before the body is read: with the codec off, nobody's body is worth parsing.
    router.post('/codec/:operation', operation, cors, requireRole(deps.tokens, 'read'), () => {
      throw new HttpError(404, 'CodecOff', 'the payload codec is off: set STEADFAST_CODEC_KEYS');
    });
    return router;
  }

  router.post(
    '/codec/:operation',
    operation,
    cors,
    requireRole(deps.tokens, 'read'),
    json,
    async (req, res) => {
      // The CLI sends an empty X-Namespace when none is configured on its side.
      const namespace = req.get('x-namespace');
      if (namespace && namespace !== deps.namespace) {
        throw new HttpError(400, 'WrongNamespace', `this codec serves namespace ${deps.namespace} only`);
      }
      const body = payloadsSchema.safeParse(req.body);
      if (!body.success) throw invalidInput('payloads', body.error);
      const payloads = body.data.payloads.map(fromJson);
      let out: Payload[];
      try {
        out =
          req.params['operation'] === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
      } catch (err) {
        if (err instanceof CodecDecodeError) throw new HttpError(400, 'UndecodablePayload', err.message);
        throw err;
      }
      res.set('Cache-Control', 'no-store').json({ payloads: out.map(toJson) });
    },
  );

  return router;
}
