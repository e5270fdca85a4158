import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { engineUnreachable, outlastingOutage } from '../../src/remediation/outage.js';
import { testDocker } from '../support/docker.js';

describe('engineUnreachable', () => {
  it('when no engine listens on the socket, then the error says unreachable', async () => {
    const err: unknown = await new Docker({ socketPath: '/nonexistent/docker.sock' })
      .ping()
      .catch((e: unknown) => e);
    expect(engineUnreachable(err)).toBe(true);
  });

  it('when the engine answers with an error, then its answer decides: not unreachable', async () => {
    const err: unknown = await testDocker()
      .getContainer('steadfast-test-no-such-container')
      .inspect()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 404 });
    expect(engineUnreachable(err)).toBe(false);
  });

  it('when the cause of an error was a refused connection, then it is unreachable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    expect(engineUnreachable(new TypeError('fetch failed', { cause: refused }))).toBe(true);
    expect(engineUnreachable(new Error('boom'))).toBe(false);
  });
});

describe('outlastingOutage', () => {
  it('when called outside an activity, then an unreachable engine fails at once: there is nothing to beat to', async () => {
    let calls = 0;
    const unreachable = Object.assign(new Error('connect ENOENT /x.sock'), { code: 'ENOENT' });
    await expect(
      outlastingOutage(() => {
        calls++;
        return Promise.reject(unreachable);
      }),
    ).rejects.toBe(unreachable);
    expect(calls).toBe(1);
  });
});
