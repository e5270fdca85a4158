import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { which } from './exec.mjs';

/** The Go toolchain, on PATH or where its installer and `go install` put it; undefined if absent. */
export function findGo() {
  return which('go', ['/usr/local/go/bin', join(process.env.HOME ?? '', 'go', 'bin')]);
}

/**
 * Builds a tool into a private folder and renames it to `dir`, so an interrupted or concurrent build
 * never leaves half a binary. `build(staging)` fills the folder; `done()` says whether `dir` already
 * holds a finished build (another process may have won the race), which is then kept.
 */
export function buildIntoCache(dir, build, done) {
  const staging = `${dir}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    build(staging);
    if (!done()) {
      rmSync(dir, { recursive: true, force: true });
      renameSync(staging, dir);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
