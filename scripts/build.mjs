/**
 * Compiles Steadfast's TypeScript to JavaScript in dist/ (one file per source, the same layout, source
 * maps beside them), as `npm start` and the image run it. Running the sources through tsx instead keeps
 * its compiler, its loader thread and every file's source map in the process: about 90 MB of an idle
 * process's resident memory (bench:memory: 256 MB through tsx, 168 MB compiled). Transpiling only: the
 * type check is `npm run typecheck`. Takes about a second; run on every start, it rewrites only what
 * changed. A source deleted leaves its old output behind, which nothing imports.
 * Usage: node scripts/build.mjs
 */
import { Buffer } from 'node:buffer';
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every file under `dir`, recursively. */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/**
 * Writes `contents` to `path` unless it holds them already, through a file of its own renamed into place:
 * a process loading dist/ never reads half a file, and builds running at once (tests, benches, two
 * starts) write the same bytes, so none undoes another's.
 */
function put(path, contents) {
  try {
    if (readFileSync(path).equals(contents)) return;
  } catch {
    // Not there yet.
  }
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

/** Brings dist/ under `root` up to date with the sources and returns its path. */
export async function buildRuntime(root = ROOT) {
  const sources = files(join(root, 'src'));
  const dist = join(root, 'dist');
  const result = await build({
    entryPoints: [
      ...sources.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
      join(root, 'worker.ts'),
    ],
    outdir: dist,
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    write: false,
  });
  for (const file of result.outputFiles) put(file.path, Buffer.from(file.contents));
  // What the sources read at run time beside themselves (the console's page, script and styles).
  for (const file of sources.filter((f) => !f.endsWith('.ts')))
    put(join(dist, relative(root, file)), readFileSync(file));
  return dist;
}

/** Each root's build, made once per process: callers that start several processes share it. */
const builds = new Map();

/**
 * Where a source entry point (`src/main.ts`, `worker.ts`) runs compiled: its `.js` in dist/, brought up to
 * date by the first call in this process.
 */
export async function compiledEntry(script, root = ROOT) {
  if (!builds.has(root)) builds.set(root, buildRuntime(root));
  return join(await builds.get(root), script.replace(/\.ts$/, '.js'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = await buildRuntime();
  process.stdout.write(`built ${relative(process.cwd(), dist) || dist}\n`);
}
