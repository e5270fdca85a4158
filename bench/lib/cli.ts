import { fileURLToPath } from 'node:url';

/** An integer flag: its default when absent, and a clear error when it is not an integer ≥ min. */
export function intFlag(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  return value;
}

/** Runs a bench's main when its file is the one node was started with, exiting with its code. */
export function runWhenMain(moduleUrl: string, main: (argv: string[]) => Promise<number>): void {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      console.error('Run with --help for usage.');
      process.exit(1);
    },
  );
}

/** The flags of every bench that measures on a Temporal server: which server, a smoke run, and help. */
export const SERVER_BENCH_FLAGS = {
  temporal: { type: 'string' },
  cluster: { type: 'boolean', default: false },
  quick: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
