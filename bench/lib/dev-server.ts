import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { DEV_SERVER_ARGS } from '../../scripts/lib/temporal-cli.mjs';
import { TypedSearchAttributes, type SearchAttributeType } from '@temporalio/common';

export interface DevServer {
  /** host:port of the frontend, on loopback. */
  address: string;
  /** Stops the server and removes its database; safe to call more than once. */
  stop: () => Promise<void>;
}

/** A port nothing listens on right now (the kernel picks it); the server binds it a moment later. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/**
 * The Temporal CLI's dev server on loopback with an on-disk SQLite database in a fresh temporary folder
 * (the same kind of store, with the same server settings, as `npm start` uses), the product's search attributes registered at launch so
 * the first workflows can already set them.
 */
export async function startDevServer(options: {
  cli: string;
  searchAttributes: readonly { name: string; type: SearchAttributeType }[];
  startTimeoutMs?: number;
}): Promise<DevServer> {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-bench-temporal-'));
  const port = await freePort();
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--db-filename', join(dir, 'temporal.db'), ...DEV_SERVER_ARGS, '--log-level', 'error');
  for (const { name, type } of options.searchAttributes) {
    args.push('--search-attribute', `${name}=${TypedSearchAttributes.toMetadataType(type)}`);
  }
  const child = spawn(options.cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  // Last resort when the bench dies without reaching its clean-up (an uncaught error, a closed stdout
  // pipe, process.exit): only synchronous work runs here.
  const killOnExit = (): void => {
    if (!exited(child)) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (!exited(child)) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    })());

  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    while (!(await portOpen(port))) {
      if (exited(child)) throw new Error(`the Temporal dev server exited at start: ${stderr.trim()}`);
      if (Date.now() > deadline) throw new Error(`the Temporal dev server did not listen on ${port} in time`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Listening is not serving: wait until the default namespace answers.
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      for (;;) {
        try {
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { address: `127.0.0.1:${port}`, stop };
}
