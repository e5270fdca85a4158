import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, fetch } from 'undici';
import type { ActionEffect, StepOf } from '../actions/steps.js';
import type { TargetIdentity } from '../domain/scope.js';
import { resolveHeaders } from '../secrets/headers.js';
import type { Redactor } from '../secrets/redact.js';
import { SecretUnavailableError, type SecretSources } from '../secrets/resolve.js';
import { readBodyCapped } from '../lib/body.js';
import { activityCancellation, callSignal } from './cancellation.js';
import { beating } from './heartbeat.js';
import { actionRunner, type ActionHandlers, type ActionRunner } from './handler.js';
import { messageOf } from '../lib/message-of.js';

type HttpCall = StepOf<'http.call'>;

/** Characters of the answer kept for the timeline. */
export const KEPT_BODY_CHARS = 200;
/** Bytes read of the answer: enough for KEPT_BODY_CHARS characters of UTF-8, never the whole body. */
export const MAX_BODY_BYTES = 4 * KEPT_BODY_CHARS;

/** The first `maxBytes` of a response's body (see readBodyCapped); a body cut short keeps its prefix. */
export async function readBodyPrefix(response: Response, maxBytes = MAX_BODY_BYTES): Promise<string> {
  return (await readBodyCapped(response, maxBytes)).text;
}

// Scrubbed before it is cut, so a secret the service echoes back cannot survive in part.
function bodyExcerpt(raw: string, redactor: Redactor): string {
  return redactor.redactCut(raw).slice(0, KEPT_BODY_CHARS).replace(/\s+/g, ' ').trim();
}

export interface HttpExecutorOptions {
  /** Where secrets named by headers are read; the process's environment and files by default. */
  secrets?: SecretSources;
}

/**
 * An HTTP target as its URL names it. A host name's addresses are looked up only once the name has passed
 * the scope (see the target resolver): an alert must not make Steadfast query DNS for names of its choosing.
 */
export function httpTarget(url: string): Extract<TargetIdentity, { kind: 'http' }> {
  const parsed = new URL(url);
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const schemePort = parsed.protocol === 'https:' ? '443' : '80';
  const addresses = isIP(hostname) ? [hostname] : [];
  return { kind: 'http', hostname, port: parsed.port || schemePort, schemePort, addresses };
}

/**
 * A DNS lookup that answers only the addresses the plan was checked with, whatever the name resolves to
 * now. The URL keeps its name, so the Host header and TLS's server name and certificate check are the
 * name's. Undici's own fetch and Agent: Node's bundled fetch takes no lookup of its own.
 */
function lookupOnly(addresses: readonly string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
  return (_hostname, options, callback) => {
    const first = entries[0];
    if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, entries);
    if (first) return callback(null, first.address, first.family);
    callback(Object.assign(new Error('no address to connect to'), { code: 'ENOTFOUND' }), '', 0);
  };
}

/**
 * A call to a service's own maintenance endpoint (flush a cache, rotate a log). Such a call cannot be
 * undone, so it carries an Idempotency-Key that stays the same across retries: a service that honours
 * it runs the maintenance once however often the activity is retried. Headers that name a secret are
 * read here, at the moment of the call, and the values never leave this function: every text it returns
 * or throws is scrubbed of them.
 */
export function httpHandlers(options: HttpExecutorOptions = {}): ActionHandlers<'http.call'> {
  return {
    'http.call': {
      identify: (step) => Promise.resolve(httpTarget(step.url)),
      snapshot: (step, key) => Promise.resolve({ action: step.action, idempotencyKey: key }),
      apply: (step, snapshot) => call(step, snapshot.idempotencyKey, options),
    },
  };
}

export const httpRunner = (options: HttpExecutorOptions = {}): ActionRunner<HttpCall> =>
  actionRunner(httpHandlers(options));

async function call(
  step: HttpCall,
  idempotencyKey: string,
  options: HttpExecutorOptions,
): Promise<ActionEffect> {
  heartbeat();
  let resolved: Awaited<ReturnType<typeof resolveHeaders>>;
  try {
    resolved = await resolveHeaders(step.headers, options.secrets);
  } catch (err) {
    if (err instanceof SecretUnavailableError) throw err.toFailure();
    throw err;
  }
  const { headers, redactor } = resolved;
  const pinned = step.addresses?.length
    ? new Agent({ connect: { lookup: lookupOnly(step.addresses) } })
    : undefined;
  try {
    return await send(step, { ...headers, 'Idempotency-Key': idempotencyKey }, redactor, pinned);
  } finally {
    // Its connection serves this call only.
    await pinned?.destroy();
  }
}

async function send(
  step: HttpCall,
  headers: Record<string, string>,
  redactor: Redactor,
  pinned: Agent | undefined,
): Promise<ActionEffect> {
  const what = `${step.method} ${step.url}`;
  let response: Response;
  try {
    response = await beating(
      fetch(step.url, {
        method: step.method,
        headers,
        ...(step.body !== undefined ? { body: step.body } : {}),
        // A redirect would send the call somewhere the runbook did not name.
        redirect: 'manual',
        signal: callSignal(step.timeoutMs),
        ...(pinned ? { dispatcher: pinned } : {}),
      }) as Promise<Response>,
    );
  } catch (err) {
    // Asked to stop: no failure of the call (src/remediation/cancellation.ts says what follows).
    const cancelled = activityCancellation();
    if (cancelled) throw cancelled;
    // Unreachable or too slow: worth a retry, the key keeps it from acting twice.
    const reason = messageOf(err);
    throw new Error(redactor.redact(`${what} failed: ${reason}`));
  }
  const body = bodyExcerpt(await beating(readBodyPrefix(response)), redactor);
  if (step.expectStatus.includes(response.status)) {
    return { acted: true, summary: `${what} answered ${response.status}${body ? `: ${body}` : ''}` };
  }
  const message = `${what} answered ${response.status}, expected ${step.expectStatus.join(' or ')}${body ? `: ${body}` : ''}`;
  // A server error or a throttle may pass; anything else will answer the same on a retry.
  const transient = response.status >= 500 || response.status === 408 || response.status === 429;
  if (transient) throw new Error(message);
  throw ApplicationFailure.create({ type: 'UnexpectedStatus', message, nonRetryable: true });
}
