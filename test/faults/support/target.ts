import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the target received. */
export interface Received {
  path: string;
  key: string | undefined;
  at: number;
}

/**
 * A service's maintenance endpoint on 127.0.0.1 that records every request with its Idempotency-Key.
 * A path the test marks with hold() keeps its first request open until release(): the call is in
 * flight for as long as the test needs to inject a fault.
 */
export interface CountingTarget {
  base: string;
  hostPort: string;
  received: Received[];
  hold: (path: string) => void;
  release: (path: string) => void;
  /** Resolves once a request for `path` has arrived (at once if one has). */
  arrived: (path: string, timeoutMs?: number) => Promise<void>;
  /** The requests for `path`, and how many distinct keys they carried. */
  countOf: (path: string) => { requests: number; keys: number };
  close: () => Promise<void>;
}

export async function startCountingTarget(): Promise<CountingTarget> {
  const received: Received[] = [];
  const held = new Map<string, ServerResponse[]>();
  const holding = new Set<string>();
  const answer = (res: ServerResponse): void => {
    if (!res.writableEnded && !res.destroyed) res.writeHead(204).end();
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://target').pathname;
    const key = req.headers['idempotency-key'];
    received.push({ path, key: Array.isArray(key) ? key[0] : key, at: Date.now() });
    req.resume();
    if (holding.has(path)) {
      holding.delete(path); // only the first request is held; a retry is answered at once
      held.set(path, [...(held.get(path) ?? []), res]);
      return;
    }
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const forPath = (path: string): Received[] => received.filter((r) => r.path === path);
  return {
    base: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    received,
    hold: (path) => void holding.add(path),
    release: (path) => {
      holding.delete(path);
      for (const res of held.get(path) ?? []) answer(res);
      held.delete(path);
    },
    arrived: async (path, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (forPath(path).length === 0) {
        if (Date.now() > deadline) throw new Error(`no request for ${path} in ${timeoutMs / 1000}s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    countOf: (path) => {
      const requests = forPath(path);
      return { requests: requests.length, keys: new Set(requests.map((r) => r.key)).size };
    },
    close: () =>
      new Promise((resolve) => {
        for (const path of [...held.keys()]) for (const res of held.get(path) ?? []) answer(res);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
