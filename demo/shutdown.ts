/**
 * How the demo stops: every part it starts registers its clean-up here, and Ctrl-C runs them all, in
 * reverse order, before the process exits.
 *
 * A terminal's Ctrl-C sends SIGINT to the whole foreground process group, and `npm run demo` and
 * scripts/demo.mjs each pass it on as well: the demo gets the signal two or three times within
 * milliseconds. Only the first starts the clean-up; the ones after it are ignored (exiting on them would
 * cut the clean-up short and leave the containers running), and the process exits once the clean-up has
 * finished, whatever its parts did.
 */

export type Cleanup = () => Promise<void> | void;

export interface Shutdown {
  /** Registers a clean-up; they run in reverse order of registration, each once. */
  add(cleanup: Cleanup): void;
  /** Runs the clean-ups (once, however often it is called), then exits with `code`. */
  stop(code: number): Promise<never>;
  /** Whether stopping has begun. */
  readonly stopping: boolean;
}

export interface ShutdownOptions {
  say: (message: string) => void;
  /** How long one clean-up may take before the next one runs anyway. */
  stepTimeoutMs?: number;
  exit?: (code: number) => never;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** A clean-up that neither throws nor hangs: the ones after it must still run. */
async function runBounded(cleanup: Cleanup, timeoutMs: number, say: (m: string) => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const result = await Promise.race([Promise.resolve().then(cleanup), timeout]);
    if (result === 'timeout') say(`a clean-up step took over ${timeoutMs / 1000}s; going on`);
  } catch (err) {
    say(`a clean-up step failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** The demo's clean-up stack, and the signal handlers that run it (see the module's comment). */
export function createShutdown(options: ShutdownOptions): Shutdown {
  const cleanups: Cleanup[] = [];
  const exit = options.exit ?? ((code: number): never => process.exit(code));
  const stepTimeoutMs = options.stepTimeoutMs ?? 30_000;
  let finished: Promise<never> | undefined;

  const run = async (code: number): Promise<never> => {
    options.say('stopping…');
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop();
      if (cleanup) await runBounded(cleanup, stepTimeoutMs, options.say);
    }
    options.say('stopped');
    return exit(code);
  };

  const shutdown: Shutdown = {
    add: (cleanup) => void cleanups.push(cleanup),
    stop: (code) => (finished ??= run(code)),
    get stopping() {
      return finished !== undefined;
    },
  };
  let firstSignalAt = 0;
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      // One Ctrl-C arrives several times at once (see above): only a later press is worth an answer.
      if (shutdown.stopping && Date.now() - firstSignalAt > 1000)
        options.say('still stopping: the containers are being removed (Ctrl-\\ quits without cleaning up)');
      if (!shutdown.stopping) firstSignalAt = Date.now();
      void shutdown.stop(0);
    });
  }
  return shutdown;
}
