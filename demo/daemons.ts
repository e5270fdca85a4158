import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface RunningDaemon {
  url: string;
  close: () => Promise<void>;
}

/**
 * Starts a Prometheus-family server (prometheus, alertmanager) listening on 127.0.0.1:port, waits for
 * its /-/ready, and on close stops it and removes its working folder.
 */
export async function startDaemon(
  command: string,
  args: string[],
  port: number,
  workDir: string,
): Promise<RunningDaemon> {
  const child = spawn(command, args, { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`${command} was not ready after 30s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
