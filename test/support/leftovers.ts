import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../../scripts/lib/paths.mjs';

/**
 * Containers left by test runs that were killed before their teardown. Many tests give their containers
 * fixed names, so a leftover makes the next run's create fail ("name already in use"), and one killed in
 * the middle of a stop stays "stopping", which a forced remove through the Docker API did not clear.
 * Each run notes its process here while it runs; containers labelled by a run whose process is gone are
 * removed before the next run's tests start. A run still going on (a second checkout) is left alone.
 */
const runsDir = join(cacheDir, 'test-runs');

export function noteRun(runId: string): () => void {
  mkdirSync(runsDir, { recursive: true });
  const file = join(runsDir, runId);
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}

function alive(runId: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(runsDir, runId), 'utf8'));
  } catch {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: a process of another user has the pid, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function forgetEndedRuns(): void {
  let runs: string[] = [];
  try {
    runs = readdirSync(runsDir);
  } catch {
    return;
  }
  for (const runId of runs) if (!alive(runId)) rmSync(join(runsDir, runId), { force: true });
}

/** The suite's containers, each with the run whose label it carries. */
function testContainers(): { id: string; name: string; runId: string }[] {
  const listed = execFileSync(
    'podman',
    [
      'ps',
      '-a',
      '--filter',
      'label=steadfast.test',
      '--format',
      '{{.ID}} {{.Names}} {{index .Labels "steadfast.test"}}',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return listed
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields): fields is [string, string, string] => fields.length === 3)
    .map(([id, name, runId]) => ({ id, name, runId }));
}

function removeContainers(ids: string[]): void {
  if (ids.length === 0) return;
  execFileSync('podman', ['rm', '-f', '-t', '0', ...ids], { stdio: 'ignore', timeout: 120_000 });
}

/** Removes the containers of runs that are no longer running; returns their names. */
export function removeLeftoverContainers(): string[] {
  const stale = testContainers().filter((c) => !alive(c.runId));
  forgetEndedRuns();
  removeContainers(stale.map((c) => c.id));
  return stale.map((c) => c.name);
}

/** Removes one run's containers, at its end. */
export function removeRunContainers(runId: string): void {
  removeContainers(testContainers().flatMap((c) => (c.runId === runId ? [c.id] : [])));
}
