/**
 * The demo target's container image, made offline: the service bundled with esbuild into one file, the
 * machine's own Node.js binary and the shared libraries it links, imported into podman's storage. No
 * registry is needed. The image's tag is a hash of what goes in, so a changed service gets a new image
 * and an unchanged one is reused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { root, say } from './paths.mjs';

const SOURCE = join(root, 'demo', 'target.ts');

/** The libraries the dynamic loader resolves for a binary, from ldd's "name => path" lines. */
function sharedLibraries(binary) {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => /=>\s*(\/\S+)|^\s*(\/\S+)/.exec(line))
    .filter(Boolean)
    .map((m) => m[1] ?? m[2]);
}

/** Builds the image unless it exists; returns its name. */
export async function ensureDemoImage() {
  const node = process.execPath;
  const promClient = JSON.parse(
    readFileSync(join(root, 'node_modules', 'prom-client', 'package.json'), 'utf8'),
  );
  const hash = createHash('sha256')
    .update(readFileSync(SOURCE))
    .update(process.version)
    .update(promClient.version)
    .digest('hex')
    .slice(0, 12);
  const image = `localhost/steadfast-demo-target:${hash}`;
  if (spawnSync('podman', ['image', 'exists', image]).status === 0) return image;

  say(`building the demo target image ${image}`);
  const work = mkdtempSync(join(tmpdir(), 'steadfast-demo-image-'));
  try {
    const rootfs = join(work, 'rootfs');
    mkdirSync(join(rootfs, 'app'), { recursive: true });
    mkdirSync(join(rootfs, 'tmp'), { recursive: true });
    const { build } = await import('esbuild');
    await build({
      entryPoints: [SOURCE],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: `node${process.versions.node.split('.')[0]}`,
      outfile: join(rootfs, 'app', 'target.js'),
      logLevel: 'warning',
    });
    for (const file of [node, ...sharedLibraries(node)]) {
      const dest = join(rootfs, file);
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(file, dest);
    }
    const tar = join(work, 'image.tar');
    execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
    execFileSync(
      'podman',
      [
        'import',
        '--change',
        `CMD ["${node}", "/app/target.js"]`,
        '--change',
        'ENV NODE_ENV=production',
        tar,
        image,
      ],
      { stdio: 'ignore' },
    );
    return image;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${await ensureDemoImage()}\n`);
}
