import { describe, expect, it } from 'vitest';
import { askAgainWhileTransient, isTransientGuardRefusal } from '../../src/guards/ask-again.js';
import { batcher } from '../../src/guards/batch.js';

const fulfilled = <T>(value: T): PromiseSettledResult<T> => ({ status: 'fulfilled', value });

describe('batching reservations in one process', () => {
  it('when many ask while a batch is on its way, then they go together as the next batch, one batch at a time', async () => {
    const sent: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const ask = batcher(async (batch: number[]) => {
      sent.push(batch);
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return batch.map((n) => fulfilled(n * 10));
    }, 4);
    const answers = await Promise.all(Array.from({ length: 11 }, (_, n) => ask.ask(n)));
    expect(answers).toEqual(Array.from({ length: 11 }, (_, n) => n * 10));
    expect(sent).toEqual([[0], [1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);
    expect(most).toBe(1);
  });

  it('when one request of a batch fails, then only its caller gets the error', async () => {
    const ask = batcher(
      async (batch: string[]) =>
        batch.map((s): PromiseSettledResult<string> =>
          s === 'bad' ? { status: 'rejected', reason: new Error('bad request') } : fulfilled(s.toUpperCase()),
        ),
      10,
    );
    const settled = await Promise.allSettled(['a', 'bad', 'c'].map((s) => ask.ask(s)));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      'A',
      'bad request',
      'C',
    ]);
  });

  it('when the whole call fails, or answers the wrong number, then every caller in the batch gets an error and the next batch still goes', async () => {
    let calls = 0;
    const ask = batcher(async (batch: number[]) => {
      calls++;
      if (calls === 1) throw new Error('server gone');
      return batch.map(fulfilled);
    }, 1);
    await expect(ask.ask(1)).rejects.toThrow('server gone');
    const pair = batcher(
      async (batch: number[]) => (batch.length > 1 ? [fulfilled(0)] : batch.map(fulfilled)),
      5,
    );
    const both = await Promise.allSettled([pair.ask(1), pair.ask(2), pair.ask(3)]);
    expect(both.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(((both[1] as PromiseRejectedResult).reason as Error).message).toBe(
      'the guard answered 1 of 2 requests',
    );
    expect(await ask.ask(7)).toBe(7);
  });
});

describe('asking the guard again after a transient refusal', () => {
  const noSleep = { sleep: async () => undefined, random: () => 0.5 };

  it('knows the server refusals that change nothing, also when wrapped', () => {
    expect(isTransientGuardRefusal(new Error('too many in-flight updates'))).toBe(true);
    expect(
      isTransientGuardRefusal(
        new Error('Update-With-Start failed', { cause: new Error('workflow is closing') }),
      ),
    ).toBe(true);
    expect(isTransientGuardRefusal(new Error('Workflow Update was aborted.'))).toBe(true);
    expect(isTransientGuardRefusal(new Error('policy needs cooldownMs'))).toBe(false);
    expect(isTransientGuardRefusal('aborted')).toBe(false);
  });

  it('when refused transiently, then asks again with growing jittered pauses until answered', async () => {
    const pauses: number[] = [];
    let tries = 0;
    const answer = await askAgainWhileTransient(
      async () => {
        if (++tries < 4) throw new Error('too many in-flight updates');
        return 'granted';
      },
      { budgetMs: 10_000, firstPauseMs: 20, sleep: async (ms) => void pauses.push(ms), random: () => 0.5 },
    );
    expect(answer).toBe('granted');
    expect(pauses).toEqual([25, 50, 100]);
  });

  it('when the error is not transient, or the budget is spent, then it reaches the caller', async () => {
    let tries = 0;
    const refuse = async (): Promise<never> => {
      tries++;
      throw new Error('InvalidGuardRequest');
    };
    await expect(
      askAgainWhileTransient(refuse, { budgetMs: 10_000, firstPauseMs: 20, ...noSleep }),
    ).rejects.toThrow('InvalidGuardRequest');
    expect(tries).toBe(1);
    const busy = async (): Promise<never> => {
      throw new Error('workflow is closing');
    };
    await expect(askAgainWhileTransient(busy, { budgetMs: 0, firstPauseMs: 20, ...noSleep })).rejects.toThrow(
      'workflow is closing',
    );
  });
});
