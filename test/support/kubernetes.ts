import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { freePort } from '../../demo/daemons.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKubernetesBinaries } from '../../scripts/lib/kubernetes.mjs';

export interface LocalCluster {
  /** A kubeconfig for an admin (group system:masters). */
  kubeconfig: string;
  /** A kubeconfig for a user that RBAC grants nothing: every call is refused with 403. */
  unprivilegedKubeconfig: string;
  server: string;
  /** Kills the controller manager, the API server and etcd, and removes their files. */
  stop: () => Promise<void>;
}

const HOST = '127.0.0.1';

interface Child {
  name: string;
  process: ChildProcess;
  log: string;
  exited: Promise<void>;
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function start(dir: string, name: string, command: string, args: string[]): Child {
  const log = join(dir, `${name}.log`);
  const out = createWriteStream(log);
  // Their own kubeconfig is always passed as a flag; one in the environment must not leak into them.
  const env = { ...process.env };
  delete env.KUBECONFIG;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (err) => out.write(`could not start ${command}: ${err.message}\n`));
  return { name, process: child, log, exited };
}

async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(timer);
}

function alive(child: Child): boolean {
  return child.process.exitCode === null && child.process.signalCode === null;
}

/**
 * The status code of a GET, or 0 when nothing answers. Over TLS it trusts only the CA the API server
 * generated.
 */
function getStatus(url: string, tls?: { ca: string; token: string }): Promise<number> {
  return new Promise((resolve) => {
    const onResponse = (res: IncomingMessage): void => {
      res.resume();
      resolve(res.statusCode ?? 0);
    };
    const req = tls
      ? httpsRequest(
          url,
          { ca: tls.ca, headers: { Authorization: `Bearer ${tls.token}` }, timeout: 2000 },
          onResponse,
        )
      : httpRequest(url, { timeout: 2000 }, onResponse);
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
    req.end();
  });
}

async function waitFor(what: string, ready: () => Promise<boolean>, watched: Child[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return;
    const dead = watched.find((c) => !alive(c));
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}:\n${tail(dead.log)}`);
    if (Date.now() > deadline) {
      const logs = watched.map((c) => `--- ${c.name}\n${tail(c.log, 15)}`).join('\n');
      throw new Error(`${what} not ready after ${timeoutMs / 1000}s\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function kubeconfigYaml(server: string, ca: string, user: string, token: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server, 'certificate-authority': ca } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'local', context: { cluster: 'local', user } }],
    'current-context': 'local',
  });
}

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver and a kube-controller-manager
 * running only the deployment and replica set controllers (so Deployments get ReplicaSets and
 * revisions). There is no kubelet and no scheduler: pods stay Pending, which no test needs to change.
 */
export async function startLocalCluster(): Promise<LocalCluster> {
  const bins = findKubernetesBinaries();
  if (!bins) {
    throw new Error(
      'etcd, kube-apiserver or kube-controller-manager is missing: `npm test` prepares them, or run ' +
        '`node scripts/lib/kubernetes.mjs` once (it builds them into ~/.cache/steadfast).',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-kube-'));
  const children: Child[] = [];
  const killAll = (): void => {
    for (const c of children) if (alive(c)) c.process.kill('SIGKILL');
  };
  // A test process that dies without afterAll must not leave a control plane running.
  process.once('exit', killAll);
  const stop = async (): Promise<void> => {
    process.off('exit', killAll);
    for (const child of [...children].reverse()) await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [clientPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://${HOST}:${clientPort}`;
    const peerUrl = `http://${HOST}:${peerPort}`;
    const etcd = start(dir, 'etcd', bins.etcd, [
      '--name=steadfast-test',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=steadfast-test=${peerUrl}`,
      '--initial-cluster-state=new',
    ]);
    children.push(etcd);

    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    writeFileSync(join(dir, 'sa.pub'), publicKey);
    writeFileSync(join(dir, 'sa.key'), privateKey, { mode: 0o600 });
    const adminToken = randomBytes(24).toString('hex');
    const nobodyToken = randomBytes(24).toString('hex');
    writeFileSync(
      join(dir, 'tokens.csv'),
      `${adminToken},steadfast-admin,steadfast-admin,"system:masters"\n${nobodyToken},steadfast-nobody,steadfast-nobody\n`,
      { mode: 0o600 },
    );
    await waitFor('etcd', async () => (await getStatus(`${etcdUrl}/health`)) === 200, [etcd], 30_000);

    const certDir = join(dir, 'certs');
    const apiserver = start(dir, 'kube-apiserver', bins.kubeApiserver, [
      `--bind-address=${HOST}`,
      `--advertise-address=${HOST}`,
      `--secure-port=${apiPort}`,
      `--cert-dir=${certDir}`,
      `--etcd-servers=${etcdUrl}`,
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-cluster-ip-range=10.96.0.0/24',
      // The endpoints of the `kubernetes` service cannot be a loopback address; nothing here needs them.
      '--endpoint-reconciler-type=none',
      // Pods would wait for a `default` service account that only a controller we do not run creates.
      '--disable-admission-plugins=ServiceAccount',
      '--profiling=false',
    ]);
    children.push(apiserver);
    const server = `https://${HOST}:${apiPort}`;
    const caFile = join(certDir, 'apiserver.crt');
    await waitFor(
      'kube-apiserver /readyz',
      async () =>
        existsSync(caFile) &&
        (await getStatus(`${server}/readyz`, { ca: readFileSync(caFile, 'utf8'), token: adminToken })) ===
          200,
      [etcd, apiserver],
      90_000,
    );

    const kubeconfig = join(dir, 'admin.kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(server, caFile, 'steadfast-admin', adminToken), { mode: 0o600 });
    const unprivilegedKubeconfig = join(dir, 'nobody.kubeconfig');
    writeFileSync(unprivilegedKubeconfig, kubeconfigYaml(server, caFile, 'steadfast-nobody', nobodyToken), {
      mode: 0o600,
    });
    children.push(
      start(dir, 'kube-controller-manager', bins.kubeControllerManager, [
        `--kubeconfig=${kubeconfig}`,
        '--controllers=deployment,replicaset',
        '--leader-elect=false',
        // No health endpoint: nothing probes it, and it would need a port and delegated auth.
        '--secure-port=0',
        '--use-service-account-credentials=false',
      ]),
    );
    return { kubeconfig, unprivilegedKubeconfig, server, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
