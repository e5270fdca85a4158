import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActionEffect, OtherStep, TargetSnapshot } from '../actions/steps.js';
import { invalidAction, mismatch, type ActionExecutor } from './executor.js';

type HttpCall = Extract<OtherStep, { action: 'http.call' }>;

/**
 * A call to a service's own maintenance endpoint (flush a cache, rotate a log). Such a call cannot be
 * undone, so it carries an Idempotency-Key that stays the same across retries: a service that honours
 * it runs the maintenance once however often the activity is retried.
 */
export function createHttpExecutor(): ActionExecutor<HttpCall> {
  return {
    snapshot(_step: HttpCall, key: string): Promise<TargetSnapshot> {
      return Promise.resolve({ action: 'http.call', idempotencyKey: key });
    },

    async apply(step: HttpCall, snapshot: TargetSnapshot): Promise<ActionEffect> {
      if (snapshot.action !== 'http.call') throw mismatch(step, snapshot);
      heartbeat();
      let response: Response;
      try {
        response = await fetch(step.url, {
          method: step.method,
          headers: { ...step.headers, 'Idempotency-Key': snapshot.idempotencyKey },
          ...(step.body !== undefined ? { body: step.body } : {}),
          // A redirect would send the call somewhere the runbook did not name.
          redirect: 'manual',
          signal: AbortSignal.timeout(step.timeoutMs),
        });
      } catch (err) {
        // Unreachable or too slow: worth a retry, the key keeps it from acting twice.
        throw new Error(
          `${step.method} ${step.url} failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      const body = (await response.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ').trim();
      if (step.expectStatus.includes(response.status)) {
        return {
          acted: true,
          summary: `${step.method} ${step.url} answered ${response.status}${body ? `: ${body}` : ''}`,
        };
      }
      const message = `${step.method} ${step.url} answered ${response.status}, expected ${step.expectStatus.join(' or ')}${body ? `: ${body}` : ''}`;
      // A server error or a throttle may pass; anything else will answer the same on a retry.
      const transient = response.status >= 500 || response.status === 408 || response.status === 429;
      if (transient) throw new Error(message);
      throw ApplicationFailure.create({ type: 'UnexpectedStatus', message, nonRetryable: true });
    },

    compensate(step: HttpCall): Promise<ActionEffect> {
      return Promise.reject(invalidAction(`call ${step.method} ${step.url} cannot be undone`));
    },
  };
}
