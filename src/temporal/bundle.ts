import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeArgsFor, siblingModule } from '../lib/modules.js';

const BUNDLER = siblingModule(import.meta.url, './bundle-main.ts');

/**
 * The workflow bundle, built by webpack in a child process. Bundling in the worker's own process
 * leaves it about 200 MB larger for the rest of its life (webpack's modules and caches, which the
 * heap does not give back); a child returns that memory to the system when it exits. It costs the
 * child's start, about a second, once per worker start.
 */
export async function bundleInChildProcess(
  workflowInterceptorModules: string[] = [],
): Promise<{ code: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-bundle-'));
  const out = join(dir, 'workflows.js');
  try {
    const child = spawn(process.execPath, [...nodeArgsFor(BUNDLER), out, ...workflowInterceptorModules], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`bundling the workflows failed (exit ${code}):\n${stderr}`);
    return { code: readFileSync(out, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
