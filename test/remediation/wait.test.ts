import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { ActionEffect } from '../../src/actions/steps.js';
import { actionRunner } from '../../src/remediation/handler.js';
import { waitHandlers } from '../../src/remediation/wait.js';

const runner = actionRunner(waitHandlers);
const step = { action: 'wait' as const, ms: 60_000 };

describe('a wait step', () => {
  it('beats with its deadline, and a retry waits only for what is left of it', async () => {
    // The attempt before this one died 59.7 s into a minute's wait; its last beat named the deadline.
    const deadline = Date.now() + 300;
    const env = new MockActivityEnvironment(
      { heartbeatDetails: deadline },
      { logger: new DefaultLogger('ERROR') },
    );
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const started = Date.now();
    const apply = (): Promise<ActionEffect> => runner.apply(step, { action: 'wait' });
    const effect = await env.run<[], ActionEffect, typeof apply>(apply);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(effect).toEqual({ acted: true, summary: 'waited 60s (resumed after a retry)' });
    expect(beats[0]).toBe(deadline);
  });

  it('never waits longer than its step says, whatever a heartbeat claims', async () => {
    const env = new MockActivityEnvironment(
      { heartbeatDetails: Date.now() + 3_600_000 },
      { logger: new DefaultLogger('ERROR') },
    );
    const beats: number[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(Number(details)));
    const short = { action: 'wait' as const, ms: 200 };
    const apply = (): Promise<ActionEffect> => runner.apply(short, { action: 'wait' });
    const effect = await env.run<[], ActionEffect, typeof apply>(apply);
    expect(effect.acted).toBe(true);
    expect(beats.every((until) => until <= Date.now())).toBe(true);
  });
});
