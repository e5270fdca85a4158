import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { executable, run } from './exec.mjs';
import { buildIntoCache, findGo } from './go-build.mjs';
import { cacheDir, say } from './paths.mjs';

/**
 * The kustomize release that renders deploy/kubernetes in the tests: the newest whose go.mod the Go on
 * this project's machines (1.26) accepts without a toolchain switch, and whose go.mod has no replace
 * lines, so a plain `go install` builds it (with sigs.k8s.io/kustomize/api v0.21.2).
 */
export const KUSTOMIZE_VERSION = '5.8.2';
const MODULE = 'sigs.k8s.io/kustomize/kustomize/v5';

/** The binary named by $STEADFAST_KUSTOMIZE, or the one in the per-user cache. */
export function kustomizePath() {
  return process.env.STEADFAST_KUSTOMIZE || join(cacheDir, `kustomize-${KUSTOMIZE_VERSION}`, 'kustomize');
}

/** The kustomize binary if it is there, without building anything; undefined otherwise. */
export function findKustomize() {
  const path = kustomizePath();
  return executable(path) ? path : undefined;
}

/**
 * Makes sure kustomize is there for the deploy tests: the pinned release, built once with
 * `go install` into the per-user cache: about 30 s after the Kubernetes build has filled Go's caches,
 * about 4 minutes from empty ones on a busy 2-core machine.
 * A binary named by $STEADFAST_KUSTOMIZE must exist already. Returns its path.
 */
export function ensureKustomize() {
  const named = process.env.STEADFAST_KUSTOMIZE;
  if (named) {
    if (!executable(named)) throw new Error(`STEADFAST_KUSTOMIZE=${named} is not an executable file.`);
    return named;
  }
  const dir = join(cacheDir, `kustomize-${KUSTOMIZE_VERSION}`);
  const binary = join(dir, 'kustomize');
  if (executable(binary)) return binary;
  const go = findGo();
  if (!go) {
    throw new Error(
      'kustomize is missing and Go is not installed to build it: install Go (https://go.dev/dl/), ' +
        'or name a kustomize binary in STEADFAST_KUSTOMIZE.',
    );
  }
  say(`building kustomize v${KUSTOMIZE_VERSION} with go install, once, into ${dir}…`);
  const started = Date.now();
  buildIntoCache(
    dir,
    (staging) => {
      // Tagged releases report "(devel)" unless told; the tests print the version they rendered with.
      const ldflags = `-s -w -X sigs.k8s.io/kustomize/api/provenance.version=v${KUSTOMIZE_VERSION}`;
      run(go, ['install', '-trimpath', `-ldflags=${ldflags}`, `${MODULE}@v${KUSTOMIZE_VERSION}`], {
        env: { ...process.env, GOBIN: staging },
      });
      const out = spawnSync(join(staging, 'kustomize'), ['version'], { encoding: 'utf8' });
      if (out.status !== 0 || !out.stdout.includes(`v${KUSTOMIZE_VERSION}`)) {
        throw new Error(`kustomize version did not report v${KUSTOMIZE_VERSION}: ${out.stdout}${out.stderr}`);
      }
    },
    () => executable(binary),
  );
  say(`built kustomize v${KUSTOMIZE_VERSION} in ${Math.round((Date.now() - started) / 1000)}s`);
  return binary;
}

// `node scripts/lib/kustomize.mjs` builds it alone, e.g. to warm a CI cache.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    say(`kustomize: ${ensureKustomize()}`);
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
