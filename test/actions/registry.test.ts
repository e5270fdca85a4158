import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/actions/registry.js';
import type { ActionName, ActionStep } from '../../src/actions/steps.js';
import { actionRunner } from '../../src/remediation/handler.js';
import { createActionHandlers, createActionRunner } from '../../src/remediation/registry.js';
import { testDocker } from '../support/docker.js';

const names = Object.keys(ACTIONS) as ActionName[];

describe('the action registry', () => {
  it('has a handler for every action, with a compensation exactly when the action can be undone', () => {
    const handlers = createActionHandlers({ docker: testDocker() });
    expect(Object.keys(handlers).sort()).toEqual([...names].sort());
    const undoable = names.filter((name) => typeof handlers[name].compensate === 'function');
    expect(undoable.sort()).toEqual(names.filter((name) => ACTIONS[name].reversible).sort());
    // The actions that cannot be undone, as people are told in docs/runbooks.md.
    expect(names.filter((name) => !ACTIONS[name].reversible).sort()).toEqual([
      'docker.restart',
      'http.call',
      'k8s.rollout-restart',
      'wait',
    ]);
  });

  it('refuses a snapshot recorded for another action before the handler runs', async () => {
    let applied = 0;
    const runner = actionRunner({
      wait: {
        identify: () => Promise.resolve({ kind: 'none' as const }),
        snapshot: () => Promise.resolve({ action: 'wait' as const }),
        apply: () => {
          applied++;
          return Promise.resolve({ acted: true, summary: 'waited' });
        },
      },
    });
    const step: ActionStep = { action: 'wait', ms: 0 };
    const failure = await runner
      .apply(step, { action: 'docker.start', containerId: 'c', running: false })
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: 'InvalidAction',
      nonRetryable: true,
      message: 'snapshot docker.start does not fit action wait',
    });
    expect(applied).toBe(0);
    expect(await runner.apply(step, { action: 'wait' })).toEqual({ acted: true, summary: 'waited' });
    expect(applied).toBe(1);
  });

  it('refuses to undo an action that cannot be undone, in its own words', async () => {
    const runner = createActionRunner({ docker: testDocker() });
    const step: ActionStep = {
      action: 'http.call',
      method: 'POST',
      url: 'http://127.0.0.1:9/cache/flush',
      headers: {},
      expectStatus: [204],
      timeoutMs: 1000,
    };
    await expect(runner.compensate(step, { action: 'http.call', idempotencyKey: 'k' })).rejects.toMatchObject(
      {
        type: 'InvalidAction',
        message: 'call POST http://127.0.0.1:9/cache/flush cannot be undone',
      },
    );
  });

  it('refuses every Kubernetes call when no cluster is configured, saying what to set', async () => {
    const runner = createActionRunner({ docker: testDocker() });
    const step: ActionStep = { action: 'k8s.cordon', node: 'n1' };
    for (const call of [
      () => runner.identify(step),
      () => runner.snapshot(step, 'k'),
      () => runner.compensate(step, { action: 'k8s.cordon', unschedulable: false }),
    ]) {
      await expect(call()).rejects.toMatchObject({
        type: 'KubernetesNotConfigured',
        nonRetryable: true,
        message: expect.stringContaining('set KUBECONFIG') as string,
      });
    }
  });
});
