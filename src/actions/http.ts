import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { fillEach, PlaceholderError } from '../domain/placeholder.js';
import { headerValueSchema, isSecretRef, plainHeaderProblem } from '../secrets/reference.js';
import { duration, template } from './fields.js';
import { defineAction } from './spec.js';

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name');
// A credential written as text would sit in every plan and history: such headers name a secret.
const headers = z
  .record(headerName, headerValueSchema)
  .superRefine((hs, ctx) => {
    for (const [name, value] of Object.entries(hs)) {
      const problem = isSecretRef(value) ? undefined : plainHeaderProblem(name, value);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
  })
  .default({});

/** Fills a URL template: each label value is one URL segment, and the result must be an http(s) URL. */
function fillUrl(tpl: string, labels: Record<string, string>, field: string): string {
  const filled = fillEach(tpl, labels, 'url-segment', field);
  let url: URL;
  try {
    url = new URL(filled);
  } catch {
    throw new PlaceholderError(`${field}: ${JSON.stringify(filled.slice(0, 120))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PlaceholderError(`${field}: only http and https URLs are called, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new PlaceholderError(`${field}: credentials go in headers, not in the URL`);
  }
  return url.toString();
}

/**
 * A call to a service's own maintenance endpoint (flush a cache, rotate a log). It cannot be undone; its
 * host is checked against the runbook's scope by name and address before approval.
 */
const call = defineAction({
  schema: z
    .object({
      action: z.literal('http.call'),
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
      url: template,
      headers,
      body: z.string().max(65_536).optional(),
      expectStatus: z.array(z.number().int().min(100).max(599)).min(1).default([200, 201, 202, 204]),
      timeout: duration.default('30s'),
    })
    .strict(),
  fill: (s, f) => ({
    action: s.action,
    method: s.method,
    url: fillUrl(s.url, f.labels, `${f.field}.url`),
    headers: s.headers,
    ...(s.body !== undefined ? { body: s.body } : {}),
    expectStatus: s.expectStatus,
    timeoutMs: parseDuration(s.timeout) ?? 30_000,
  }),
  describe: (step) => `call ${step.method} ${step.url}`,
  preview: (step) => [`${step.method} ${step.url}${step.body !== undefined ? ` ${step.body}` : ''}`],
  target(step) {
    const url = new URL(step.url);
    // The guards count what a label can vary but the service may not tell apart as one target: a host's
    // trailing dot, a path's case. Paths that differ only in case then count together, which makes a
    // guard stricter, never looser.
    return `http/${url.host.replace(/\.(?=:\d+$|$)/, '')}${url.pathname.toLowerCase()}`;
  },
  bind: (step, identity) =>
    // An address written as such resolves to itself: nothing to pin. (No node:net here: workflows
    // import the action specs.)
    identity.kind === 'http' && identity.addresses.some((a) => a !== identity.hostname)
      ? { ...step, addresses: identity.addresses }
      : step,
  reversible: false,
});

export const httpActions = { 'http.call': call };
