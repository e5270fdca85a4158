import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** Runs a bench in its smoke mode and returns its last line, the JSON report. */
async function report(script: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, '--quick'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

// Figures are not asserted (the machine is shared): what each bench checks, and the report's shape, are.
describe('the benches of memory, the guard and time to act', () => {
  it('bench:memory measures the process idle and with incidents waiting, then removes them', async () => {
    const r = await report('bench/memory.ts');
    expect(r).toMatchObject({ incidents: 20, terminated: 20 });
    for (const field of ['idleMb', 'openMb', 'perIncidentKb'])
      expect(r[field], field).toEqual(expect.any(Number));
    expect(r['idleMb']).toBeGreaterThan(50);
  }, 300_000);

  it('bench:guard keeps every target within its limit and answers every retry as the first time', async () => {
    const r = await report('bench/guard.ts');
    expect(r).toMatchObject({ granted: 30, overGranted: 0, retriesChanged: 0, correct: true });
    expect(r['decisionsPerSecond']).toEqual(expect.any(Number));
  }, 300_000);

  it('bench:act sees every incident act, after its notification', async () => {
    const r = await report('bench/act.ts');
    expect(r).toMatchObject({ incidents: 5 });
    expect(r['p50Ms']).toBeGreaterThan(0);
    expect(r['p99Ms']).toBeGreaterThanOrEqual(r['p50Ms'] as number);
  }, 300_000);
});
