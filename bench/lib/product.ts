import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compiledEntry } from '../../scripts/build.mjs';
import { PROCESS_ENV_DEFAULTS } from '../../scripts/lib/native-memory.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** A Steadfast process as an operator runs it: `src/main.ts` (API and worker) or `worker.ts`. */
export interface ProductProcess {
  child: ChildProcess;
  pid: number;
  exited: () => boolean;
  /** SIGTERM, and resolves once it has exited. */
  stop: () => Promise<void>;
}

const READY: Record<'src/main.ts' | 'worker.ts', string> = {
  'src/main.ts': '"api.started"',
  'worker.ts': '"worker.started"',
};

/**
 * Starts `<script>` compiled, as `npm start` and the image run it (scripts/build.mjs builds dist/ first),
 * configured only through its environment (on top of this process's), and resolves once it logs that it
 * is ready. Its log level must be info or lower.
 */
export async function startProduct(
  script: 'src/main.ts' | 'worker.ts',
  env: Record<string, string>,
): Promise<ProductProcess> {
  // Built once per bench process: bench:guard starts two workers at once from the same build.
  const child = spawn(process.execPath, [await compiledEntry(script, ROOT)], {
    cwd: ROOT,
    // As npm start runs it: the same environment defaults, then this process's, then the bench's.
    env: {
      ...PROCESS_ENV_DEFAULTS,
      ...process.env,
      STEADFAST_LOG_LEVEL: 'info',
      STEADFAST_LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let ready = false;
  const keep = (c: Buffer): void => {
    tail = (tail + c.toString('utf8')).slice(-8000);
    ready ||= tail.includes(READY[script]);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (!exited()) child.kill('SIGTERM');
    await gone;
  };
  for (const deadline = Date.now() + 180_000; !ready;) {
    if (exited() || Date.now() > deadline) {
      await stop();
      throw new Error(`${script} did not start:\n${tail.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, pid: child.pid ?? 0, exited, stop };
}

/** A process's resident set size in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  if (!line) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line.split(/\s+/)[1]) / 1024;
}
