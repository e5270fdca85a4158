import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compiledEntry } from '../../../scripts/build.mjs';
import { PROCESS_ENV_DEFAULTS } from '../../../scripts/lib/native-memory.mjs';

const root = join(import.meta.dirname, '..', '..', '..');

/** A Steadfast process (a worker, or an API replica) as its own OS process, so a test can kill or pause it. */
export interface WorkerProcess {
  name: string;
  pid: number;
  /** Resolves once the process has logged that it is ready (a worker polls, an API listens). */
  ready: Promise<void>;
  /** How it ended: an exit code or a signal's name; undefined while it runs. */
  ended: () => number | string | undefined;
  signal: (signal: NodeJS.Signals) => void;
  /** SIGTERM (the worker drains and stops), SIGKILL if it has not stopped within graceMs. */
  stop: (graceMs?: number) => Promise<void>;
  log: () => string;
}

/**
 * Starts `node dist/worker.js` (built first, as the image does) configured only through its environment,
 * as an operator would run it; its output goes to `<logDir>/<name>.log`.
 */
export function startWorkerProcess(
  name: string,
  env: Record<string, string>,
  logDir: string,
): Promise<WorkerProcess> {
  return startSteadfastProcess({ name, script: 'worker.ts', readyEvent: 'worker.started' }, env, logDir);
}

/** Starts `node dist/src/main.js`: an API replica with its own worker, as `npm start` runs it. */
export function startReplicaProcess(
  name: string,
  env: Record<string, string>,
  logDir: string,
): Promise<WorkerProcess> {
  return startSteadfastProcess({ name, script: 'src/main.ts', readyEvent: 'api.started' }, env, logDir);
}

async function startSteadfastProcess(
  { name, script, readyEvent }: { name: string; script: string; readyEvent: string },
  env: Record<string, string>,
  logDir: string,
): Promise<WorkerProcess> {
  // Compiled, as `npm start` and the image run it: the faults are injected into that code.
  const entry = await compiledEntry(script, root);
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, [entry], {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '/root',
      ...PROCESS_ENV_DEFAULTS,
      ...env,
    },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let ended: number | string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      ended = code ?? signal ?? 'unknown';
      resolve();
    }),
  );
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const ready = (async () => {
    const deadline = Date.now() + 120_000;
    while (!log().includes(`"${readyEvent}"`)) {
      if (ended !== undefined) throw new Error(`${name} exited (${ended}):\n${log().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`${name} did not start in 120s:\n${log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  ready.catch(() => undefined);
  return {
    name,
    pid: child.pid ?? -1,
    ready,
    ended: () => ended,
    signal: (signal) => {
      if (ended === undefined) child.kill(signal);
    },
    stop: async (graceMs = 20_000) => {
      if (ended !== undefined) return;
      child.kill('SIGCONT'); // a paused worker cannot act on SIGTERM
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    log,
  };
}
