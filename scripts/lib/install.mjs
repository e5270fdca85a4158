import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.mjs';
import { root, say } from './paths.mjs';

/** Installs the npm packages when node_modules is missing or older than the lockfile. */
export function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say('installing npm packages…');
  // `npm ci` installs exactly what the lockfile says and never rewrites it, so a fresh clone stays clean.
  // The lockfile holds every platform's optional packages (e.g. @swc/core's darwin builds): after
  // changing dependencies, run `npm install` where the registry serves them all, and commit the result.
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root });
}

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** Installs missing Debian packages with apt-get (as root); says what to install otherwise. */
export function ensureDebianPackages(packages) {
  if (!existsSync('/usr/bin/dpkg-query')) {
    say(`not a Debian system: make sure these are installed: ${packages.join(', ')}`);
    return;
  }
  const missing = packages.filter((p) => !installed(p));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing Debian packages: ${missing.join(' ')}; install them with: sudo apt-get install ${missing.join(' ')}`,
    );
  }
  say(`installing Debian packages: ${missing.join(' ')}…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

export function packageJson() {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
}
