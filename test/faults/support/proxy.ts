import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 between one worker and the Temporal frontend, so a test can cut that
 * worker off while the worker and the cluster run on untouched. A cut is a black hole, as a network
 * partition is: nothing passes either way and new connections hang, with no error to tell the worker.
 * Healing drops the connections that hung (as keepalive would), so the worker connects afresh.
 */
export interface CuttableLink {
  address: string;
  cut: () => void;
  heal: () => void;
  close: () => Promise<void>;
}

export async function startCuttableLink(upstream: string): Promise<CuttableLink> {
  const [host = '127.0.0.1', port = '7233'] = upstream.split(':');
  const open = new Set<Socket>();
  let cut = false;
  const track = (s: Socket): void => {
    open.add(s);
    s.once('close', () => open.delete(s));
    s.on('error', () => undefined);
  };
  const server = createServer((down) => {
    track(down);
    if (cut) {
      down.pause();
      return;
    }
    const up = connect({ host, port: Number(port) });
    track(up);
    down.pipe(up).pipe(down);
    down.once('close', () => up.destroy());
    up.once('close', () => down.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dropAll = (): void => {
    for (const s of open) s.destroy();
  };
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut: () => {
      cut = true;
      for (const s of open) {
        s.unpipe();
        s.pause();
      }
    },
    heal: () => {
      cut = false;
      dropAll();
    },
    close: () =>
      new Promise((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
