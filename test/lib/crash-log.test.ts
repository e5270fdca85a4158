import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const lib = (name: string): string =>
  pathToFileURL(join(import.meta.dirname, '..', '..', 'src', 'lib', name)).href;

/** Runs `body` in a process of its own with the crash log installed; its exit code, log lines and stderr. */
function crash(body: string): { status: number | null; lines: Record<string, unknown>[]; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'crash-log-'));
  const script = join(dir, 'main.ts');
  writeFileSync(
    script,
    `import { logCrashes } from '${lib('crash-log.ts')}';
import { createLogger } from '${lib('logger.ts')}';
logCrashes(createLogger('info', 'json'));
${body}
`,
  );
  const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 });
  const lines = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: run.status, lines, stderr: run.stderr };
}

describe('logCrashes', () => {
  it.each([
    [
      'a rejection nothing handles',
      "void Promise.reject(new Error('lost promise'));",
      'unhandledRejection',
      'lost promise',
    ],
    [
      'an exception nothing catches',
      "setTimeout(() => { throw new Error('thrown later'); }, 0);",
      'uncaughtException',
      'thrown later',
    ],
  ])(
    'when %s ends the process, then it still ends with code 1 and its log says why first',
    (_what, body, origin, message) => {
      const { status, lines, stderr } = crash(body);

      expect(status).toBe(1);
      const line = lines.find((l) => l['event'] === 'process.crashed');
      expect(line).toMatchObject({ level: 60, origin, app: 'steadfast' });
      expect(String(line?.['msg'])).toContain(message);
      expect((line?.['err'] as { stack?: string } | undefined)?.stack).toContain(message);
      // Node's own report is still written, as without the log.
      expect(stderr).toContain(message);
    },
  );

  it('when nothing goes wrong, then it adds nothing to the log', () => {
    const { status, lines } = crash("console.log(JSON.stringify({ event: 'fine' }));");
    expect(status).toBe(0);
    expect(lines).toEqual([{ event: 'fine' }]);
  });
});
