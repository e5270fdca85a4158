import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a stand-in received: its path and its form parameters (the PromQL among them). */
export interface ReceivedQuery {
  path: string;
  params: URLSearchParams;
}

/**
 * A server on 127.0.0.1 that speaks Prometheus's query API as the test tells it to: an attacker's host,
 * or a configured server that answers too much. It records every request, so a test can show that
 * none reached it.
 */
export interface PrometheusStandIn {
  url: string;
  received: ReceivedQuery[];
  close: () => Promise<void>;
}

export type StandInAnswer = (query: ReceivedQuery, res: ServerResponse) => void;

/**
 * `rules`: the alerting rules its rules API lists (triage reads an alert's expression only when it is
 * one of them). That API's requests are answered apart and not among `received`, which holds queries.
 */
export async function startPrometheusStandIn(
  answer: StandInAnswer,
  rules: readonly { alert: string; expr: string }[] = [],
): Promise<PrometheusStandIn> {
  const received: ReceivedQuery[] = [];
  const listed = JSON.stringify({
    status: 'success',
    data: {
      groups: [
        {
          name: 'stand-in',
          rules: rules.map((r) => ({ type: 'alerting', name: r.alert, query: r.expr })),
        },
      ],
    },
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const params = new URLSearchParams(body);
      for (const [k, v] of url.searchParams) params.append(k, v);
      const query = { path: url.pathname, params };
      if (req.method === 'GET' && url.pathname === '/api/v1/rules') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(listed);
        return;
      }
      received.push(query);
      answer(query, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A range query's answer: `series` series of `points` points each, one a second, ending now. */
export function matrixAnswer(
  series: number,
  points: number,
  value = (i: number) => 0.01 + (i % 7) / 1000,
): string {
  const end = Math.floor(Date.now() / 1000);
  const values = Array.from({ length: points }, (_, i) => `[${end - points + 1 + i},"${value(i)}"]`).join(
    ',',
  );
  const result = Array.from(
    { length: series },
    (_, s) => `{"metric":{"__name__":"attack_ratio","job":"web","n":"${s}"},"values":[${values}]}`,
  );
  return `{"status":"success","data":{"resultType":"matrix","result":[${result.join(',')}]}}`;
}

export const json = (res: ServerResponse, body: string): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
};

/**
 * Streams a body that never ends (`{"status":"success",…` then padding) until the reader hangs up;
 * `sent()` tells how much went out, `closed` when the reader gave up.
 */
export function streamEndlessly(res: ServerResponse): { sent: () => number; closed: Promise<void> } {
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"status":"success","data":');
  const closed = new Promise<void>((resolve) => res.on('close', resolve));
  const pump = (): void => {
    while (!res.destroyed && sent < 1024 * 1024 * 1024) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
  return { sent: () => sent, closed };
}
