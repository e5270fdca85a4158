/**
 * Group commit for one caller process: requests asked while a batch is on its way wait and go together
 * as the next batch, so a process holds at most one call in flight however many ask at once. The guard
 * workflow accepts at most ten updates in flight (the server's history.maxInFlightUpdates); one per
 * process keeps every deployment of fewer than ten processes under that limit, and a burst costs one
 * workflow task instead of one each.
 */
export interface Batcher<Req, Res> {
  ask(request: Req): Promise<Res>;
}

interface Waiting<Req, Res> {
  request: Req;
  resolve: (result: Res) => void;
  reject: (err: unknown) => void;
}

/**
 * `send` settles a batch in its order, one outcome per request; when it throws, every request of that
 * batch gets the error (the caller's retry asks again, and the guard answers a step key as before).
 */
export function batcher<Req, Res>(
  send: (batch: Req[]) => Promise<PromiseSettledResult<Res>[]>,
  maxBatch: number,
): Batcher<Req, Res> {
  const queue: Waiting<Req, Res>[] = [];
  let sending = false;

  const flush = async (): Promise<void> => {
    sending = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      try {
        const results = await send(batch.map((w) => w.request));
        if (results.length !== batch.length) {
          throw new Error(`the guard answered ${results.length} of ${batch.length} requests`);
        }
        batch.forEach((w, i) => {
          const outcome = results[i] as PromiseSettledResult<Res>;
          if (outcome.status === 'fulfilled') w.resolve(outcome.value);
          else w.reject(outcome.reason);
        });
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    sending = false;
  };

  return {
    ask: (request) =>
      new Promise<Res>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        if (!sending) void flush();
      }),
  };
}
