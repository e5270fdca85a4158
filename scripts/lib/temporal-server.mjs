import { join } from 'node:path';
import { executable, run } from './exec.mjs';
import { buildIntoCache, findGo } from './go-build.mjs';
import { cacheDir, say } from './paths.mjs';

/** The server version the pinned CLI embeds: a cluster and the dev server run the same code. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
const MODULE = 'go.temporal.io/server';

/**
 * The Temporal server and its SQL schema tool, built once with `go install` into the per-user cache
 * (much of it comes from the Go build cache the CLI's build filled). Returns both paths.
 */
export function ensureTemporalServer() {
  const dir = join(cacheDir, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const server = join(dir, 'server');
  const sqlTool = join(dir, 'sql');
  const built = () => executable(server) && executable(sqlTool);
  if (built()) return { server, sqlTool };
  const go = findGo();
  if (!go)
    throw new Error('Building the Temporal server needs Go (https://go.dev/dl/), which is not installed.');
  say(
    `building the Temporal server v${TEMPORAL_SERVER_VERSION} and its SQL tool with go install, once, into ${dir}…`,
  );
  buildIntoCache(
    dir,
    (staging) =>
      run(
        go,
        [
          'install',
          `${MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
          `${MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
        ],
        { env: { ...process.env, GOBIN: staging } },
      ),
    built,
  );
  return { server, sqlTool };
}
