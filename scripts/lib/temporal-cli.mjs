import { join } from 'node:path';
import { executable, run, which } from './exec.mjs';
import { buildIntoCache, findGo } from './go-build.mjs';
import { cacheDir, say } from './paths.mjs';

export const TEMPORAL_CLI_VERSION = '1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

/**
 * Flags for the dev server that `npm start` and the benches run.
 * - Its SQLite file with write-ahead logging, as Temporal's own configuration for a SQLite file has it,
 *   and every commit synced (synchronous=FULL), so nothing the server acknowledged is lost in a crash.
 *   The CLI leaves SQLite's rollback journal, which costs more disk syncs per write: with WAL the alert
 *   storm of bench:ingest ran 2 to 2.5 times faster here (bench/README.md).
 * - Eager activities: a workflow task's completion carries back the activity it schedules to the same
 *   worker, saving a round trip per step (notification to first action 1.5 → 0.9 s at the median,
 *   bench:act). The server's default is off.
 */
export const DEV_SERVER_ARGS = [
  '--sqlite-pragma',
  'journal_mode=wal',
  '--sqlite-pragma',
  'synchronous=full',
  '--dynamic-config-value',
  'system.enableActivityEagerExecution=true',
];

/**
 * Finds the Temporal CLI: $STEADFAST_TEMPORAL_CLI, then `temporal` on PATH, then the per-user cache;
 * otherwise builds the pinned release once with `go install` into the cache.
 */
export function ensureTemporalCli() {
  const named = process.env.STEADFAST_TEMPORAL_CLI;
  if (named) {
    if (!executable(named)) throw new Error(`STEADFAST_TEMPORAL_CLI=${named} is not an executable file.`);
    return named;
  }
  const onPath = which('temporal');
  if (onPath) return onPath;
  const dir = join(cacheDir, `temporal-${TEMPORAL_CLI_VERSION}`);
  const cached = join(dir, 'temporal');
  if (executable(cached)) return cached;
  const go = findGo();
  if (!go) {
    throw new Error(
      'No Temporal CLI was found and Go is not installed to build one: install Go (https://go.dev/dl/), ' +
        'or put a `temporal` binary on PATH or name it in STEADFAST_TEMPORAL_CLI.',
    );
  }
  say(
    `building the Temporal CLI v${TEMPORAL_CLI_VERSION} with go install, once, into ${dir} (a few minutes)…`,
  );
  buildIntoCache(
    dir,
    (staging) =>
      run(go, ['install', `${MODULE}@v${TEMPORAL_CLI_VERSION}`], { env: { ...process.env, GOBIN: staging } }),
    () => executable(cached),
  );
  return cached;
}
