import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A round-robin TCP load balancer on 127.0.0.1 in front of API replicas, as a Kubernetes Service or
 * an HAProxy would be: each new connection goes to the next backend, and to the one after it when a
 * backend refuses. When a backend dies, the connections it held are closed on the client side too, so
 * the client (Alertmanager) sees the failure and connects afresh.
 */
export interface Balancer {
  url: string;
  /** Connections each backend has been given, by its port. */
  connections: (port: number) => number;
  /** Resolves when the backend on this port has received request bytes on some connection. */
  received: (port: number) => Promise<void>;
  close: () => Promise<void>;
}

export async function startBalancer(ports: number[]): Promise<Balancer> {
  const open = new Set<Socket>();
  const given = new Map<number, number>();
  const waiting = new Map<number, () => void>();
  const arrived = new Map<number, Promise<void>>(
    ports.map((p) => [p, new Promise<void>((resolve) => waiting.set(p, resolve))]),
  );
  let next = 0;
  const track = (s: Socket): void => {
    open.add(s);
    s.once('close', () => open.delete(s));
    s.on('error', () => undefined);
  };
  const relay = (down: Socket, tries: number): void => {
    if (tries >= ports.length) {
      down.destroy();
      return;
    }
    const port = ports[next++ % ports.length] ?? 0;
    const up = connect({ host: '127.0.0.1', port });
    track(up);
    let connected = false;
    // A refusal sends the connection on to the next backend; a failure after connecting ends it.
    up.once('error', () => {
      if (!connected) relay(down, tries + 1);
    });
    up.once('connect', () => {
      connected = true;
      given.set(port, (given.get(port) ?? 0) + 1);
      down.once('data', () => waiting.get(port)?.());
      down.pipe(up).pipe(down);
      down.resume();
      down.once('close', () => up.destroy());
      up.once('close', () => down.destroy());
    });
  };
  const server = createServer((down) => {
    track(down);
    down.pause();
    relay(down, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: (port) => given.get(port) ?? 0,
    received: (port) => arrived.get(port) ?? Promise.reject(new Error(`no backend on port ${port}`)),
    close: () =>
      new Promise((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
