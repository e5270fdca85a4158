import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { executable, run, which } from './exec.mjs';
import { buildIntoCache, findGo } from './go-build.mjs';
import { ensureDebianPackages } from './install.mjs';
import { cacheDir, say } from './paths.mjs';

/** The Kubernetes release whose API server and controller manager the tests run against. */
export const KUBERNETES_VERSION = '1.33.13';

/**
 * k8s.io/kubernetes requires its staging modules at v0.0.0 (its own repository replaces them with
 * local folders), so a module that depends on it must map each one to the matching published release.
 */
const STAGING_MODULES = [
  'api',
  'apiextensions-apiserver',
  'apimachinery',
  'apiserver',
  'cli-runtime',
  'client-go',
  'cloud-provider',
  'cluster-bootstrap',
  'code-generator',
  'component-base',
  'component-helpers',
  'controller-manager',
  'cri-api',
  'cri-client',
  'csi-translation-lib',
  'dynamic-resource-allocation',
  'endpointslice',
  'externaljwt',
  'kms',
  'kube-aggregator',
  'kube-controller-manager',
  'kube-proxy',
  'kube-scheduler',
  'kubectl',
  'kubelet',
  'metrics',
  'mount-utils',
  'pod-security-admission',
  'sample-apiserver',
  'sample-cli-plugin',
  'sample-controller',
];
const COMMANDS = ['kube-apiserver', 'kube-controller-manager'];

/** Where the binaries live: $STEADFAST_KUBE_BIN_DIR, or the per-user cache. */
export function kubernetesBinDir() {
  return process.env.STEADFAST_KUBE_BIN_DIR || join(cacheDir, `kubernetes-${KUBERNETES_VERSION}`);
}

function etcdPath(dir) {
  // A self-built etcd next to the Kubernetes binaries wins over Debian's.
  const local = join(dir, 'etcd');
  return executable(local) ? local : which('etcd', ['/usr/bin']);
}

/** The binaries if they are all there, without building or installing anything; undefined otherwise. */
export function findKubernetesBinaries() {
  const dir = kubernetesBinDir();
  const kubeApiserver = join(dir, 'kube-apiserver');
  const kubeControllerManager = join(dir, 'kube-controller-manager');
  const etcd = etcdPath(dir);
  if (!etcd || !executable(kubeApiserver) || !executable(kubeControllerManager)) return undefined;
  return { dir, kubeApiserver, kubeControllerManager, etcd };
}

function goMod(version) {
  const [, minor, patch] = version.split('.');
  const staging = `v0.${minor}.${patch}`;
  return [
    'module steadfast-kube-build',
    '',
    'go 1.24.0',
    '',
    `require k8s.io/kubernetes v${version}`,
    '',
    'replace (',
    ...STAGING_MODULES.map((m) => `\tk8s.io/${m} => k8s.io/${m} ${staging}`),
    ')',
    '',
  ].join('\n');
}

function buildKubernetes(dir) {
  const go = findGo();
  if (!go) {
    throw new Error(
      'kube-apiserver and kube-controller-manager are missing and Go is not installed to build them: ' +
        'install Go (https://go.dev/dl/), or name a folder holding both in STEADFAST_KUBE_BIN_DIR.',
    );
  }
  say(
    `building kube-apiserver and kube-controller-manager v${KUBERNETES_VERSION} from Go modules, once, ` +
      `into ${dir} (about ten minutes on two cores)…`,
  );
  const started = Date.now();
  buildIntoCache(
    dir,
    (staging) => {
      const src = join(staging, 'build');
      mkdirSync(src, { recursive: true });
      writeFileSync(join(src, 'go.mod'), goMod(KUBERNETES_VERSION));
      const pkgs = COMMANDS.map((c) => `k8s.io/kubernetes/cmd/${c}`);
      const env = { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=mod`.trim() };
      run(go, ['get', ...pkgs.map((p) => `${p}@v${KUBERNETES_VERSION}`)], { cwd: src, env });
      // Without these the binaries report v0.0.0-master, which hides which release a log came from.
      const [major, minor] = KUBERNETES_VERSION.split('.');
      const version = 'k8s.io/component-base/version';
      const ldflags = [
        '-s',
        '-w',
        `-X ${version}.gitVersion=v${KUBERNETES_VERSION}`,
        `-X ${version}.gitMajor=${major}`,
        `-X ${version}.gitMinor=${minor}`,
        `-X ${version}.gitTreeState=clean`,
      ].join(' ');
      run(go, ['build', '-trimpath', `-ldflags=${ldflags}`, '-o', `${staging}/`, ...pkgs], { cwd: src, env });
      for (const command of COMMANDS) {
        const binary = join(staging, command);
        const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
        if (out.status !== 0 || !out.stdout.includes(`v${KUBERNETES_VERSION}`)) {
          throw new Error(
            `${binary} --version did not report v${KUBERNETES_VERSION}: ${out.stdout}${out.stderr}`,
          );
        }
      }
    },
    () => COMMANDS.every((c) => executable(join(dir, c))),
  );
  say(`built Kubernetes v${KUBERNETES_VERSION} in ${Math.round((Date.now() - started) / 1000)}s`);
}

/**
 * Makes sure etcd, kube-apiserver and kube-controller-manager are there for the Kubernetes tests:
 * Debian's etcd-server (installed with apt-get when missing) and the two Kubernetes binaries, built
 * once from Go modules into the per-user cache. A folder named by $STEADFAST_KUBE_BIN_DIR must hold
 * them already.
 */
export function ensureKubernetesBinaries() {
  const dir = kubernetesBinDir();
  if (!etcdPath(dir)) ensureDebianPackages(['etcd-server']);
  if (!etcdPath(dir))
    throw new Error('etcd is not installed: install etcd-server (Debian) or put etcd on PATH.');
  const named = process.env.STEADFAST_KUBE_BIN_DIR;
  if (named) {
    const missing = COMMANDS.filter((c) => !executable(join(named, c)));
    if (missing.length > 0) {
      throw new Error(`STEADFAST_KUBE_BIN_DIR=${named} has no executable ${missing.join(' or ')}.`);
    }
  } else if (COMMANDS.some((c) => !executable(join(dir, c)))) {
    buildKubernetes(dir);
  }
  const found = findKubernetesBinaries();
  if (!found) throw new Error(`Kubernetes binaries are still missing from ${dir} after the build.`);
  return found;
}

// `node scripts/lib/kubernetes.mjs` prepares the binaries alone, e.g. to warm a CI cache.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const found = ensureKubernetesBinaries();
    say(`Kubernetes binaries: ${found.kubeApiserver}, ${found.kubeControllerManager}, ${found.etcd}`);
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
