import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { run, which } from './exec.mjs';
import { ensureDebianPackages } from './install.mjs';
import { stopChild, waitForPort } from './processes.mjs';
import { ensureTemporalCli } from './temporal-cli.mjs';
import { ensureTemporalServer } from './temporal-server.mjs';

export { ensureTemporalServer };

/**
 * A real Temporal cluster on loopback: PostgreSQL (Debian's) holding history and visibility, and the
 * frontend, history, matching and worker services as separate processes of the server the CLI embeds.
 * `npm run cluster` runs one in the foreground; tests start their own with startCluster().
 */

export const SERVICES = ['history', 'matching', 'frontend', 'worker'];
const DATABASES = { temporal: 'postgresql/v12/temporal', temporal_visibility: 'postgresql/v12/visibility' };
const PG_USER = 'temporal';

/**
 * Starts a child whose output goes to `<dir>/<name>.log` (the services log a lot, and an error logged
 * while a peer starts or stops is normal); the state matches processes.mjs's startChild.
 */
function startLogged(dir, name, command, args) {
  const log = openSync(join(dir, `${name}.log`), 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  const state = { child, name, exited: false, code: null };
  state.done = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      state.exited = true;
      state.code = code ?? signal;
      resolve(state.code);
    }),
  );
  child.once('error', () => undefined);
  return state;
}

/** Where Debian puts PostgreSQL's server programs (they are not on PATH). */
function postgresBin(name) {
  const onPath = which(name);
  if (onPath) return onPath;
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort() : [];
  for (const version of versions.reverse()) {
    const candidate = join('/usr/lib/postgresql', version, 'bin', name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** PostgreSQL refuses to run as root: as root, its programs run as the `postgres` account. */
const asRoot = process.getuid?.() === 0;
function postgresCommand(program, args) {
  const path = postgresBin(program);
  if (!path) throw new Error(`PostgreSQL's ${program} is not installed (Debian package postgresql).`);
  return asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

function ownedByPostgres(dir) {
  mkdirSync(dir, { recursive: true });
  if (!asRoot) return;
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
}

/** Initialises (once) and starts PostgreSQL on 127.0.0.1:port with its data in `dir`. */
export async function startPostgres({ dir, port, durable = true }) {
  ensureDebianPackages(['postgresql']);
  const data = join(dir, 'pgdata');
  if (!existsSync(join(data, 'PG_VERSION'))) {
    ownedByPostgres(dir);
    ownedByPostgres(data);
    const [cmd, args] = postgresCommand('initdb', ['-D', data, '-U', PG_USER, '--auth=trust', '-E', 'UTF8']);
    run(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  // The socket goes beside the data, not in /var/run, which a user may not write to.
  const settings = ['-c', 'listen_addresses=127.0.0.1', '-k', data, '-p', String(port)];
  // Tests trade crash safety for speed; `npm run cluster` keeps PostgreSQL's defaults.
  if (!durable)
    settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const [cmd, args] = postgresCommand('postgres', ['-D', data, ...settings]);
  const child = startLogged(dir, 'postgres', cmd, args);
  await waitForPort('127.0.0.1', port, 60_000, () => !child.exited);
  return child;
}

/** Creates the two databases and brings their schemas to the server's version (idempotent). */
export function setupSchema({ sqlTool, port }) {
  const base = ['--ep', '127.0.0.1', '-p', String(port), '-u', PG_USER, '--pl', 'postgres12'];
  for (const [db, schema] of Object.entries(DATABASES)) {
    const created = spawnSync(sqlTool, [...base, '--db', db, 'create-database'], { encoding: 'utf8' });
    if (created.status === 0)
      run(sqlTool, [...base, '--db', db, 'setup-schema', '-v', '0.0'], { stdio: 'ignore' });
    else if (!/already exists/.test(`${created.stdout}${created.stderr}`)) {
      throw new Error(`creating database ${db} failed: ${created.stderr || created.stdout}`);
    }
    run(sqlTool, [...base, '--db', db, 'update-schema', '--schema-name', schema], { stdio: 'ignore' });
  }
}

/**
 * Ports of the four services, from the frontend's: gRPC and membership each get their own. The SQL
 * membership table keeps ports as a smallint, so membership ports must stay at or below 32767.
 */
export function servicePorts(frontendPort) {
  if (frontendPort + 13 > 32767) {
    throw new Error(
      `the frontend's port must be at most 32754 (its services' membership ports, 10 to 13 above it, are stored as smallint); got ${frontendPort}`,
    );
  }
  const offset = { frontend: 0, history: 1, matching: 2, worker: 3 };
  return Object.fromEntries(
    SERVICES.map((s) => [
      s,
      { grpcPort: frontendPort + offset[s], membershipPort: frontendPort + 10 + offset[s] },
    ]),
  );
}

/** The server's configuration: SQL persistence and visibility on PostgreSQL, `shards` history shards. */
export function serverConfig({ frontendPort, pgPort, shards = 4, dynamicConfigFile }) {
  const sql = (databaseName, maxConns) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${pgPort}`,
      connectProtocol: 'tcp',
      user: PG_USER,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const ports = servicePorts(frontendPort);
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: shards,
      datastores: { default: sql('temporal', 20), visibility: sql('temporal_visibility', 10) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: Object.fromEntries(SERVICES.map((s) => [s, { rpc: { ...ports[s], bindOnIP: '127.0.0.1' } }])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${frontendPort}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/** The last lines a child wrote to its log, to say why it stopped. */
function logTail(dir, name, lines = 5) {
  try {
    return readFileSync(join(dir, `${name}.log`), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

/** Throws, with its log's last lines, if a service has exited. */
function checkAlive(children, configRoot) {
  for (const service of SERVICES) {
    const child = children[service];
    if (child?.exited)
      throw new Error(`the ${service} service exited (${child.code}):\n${logTail(configRoot, service)}`);
  }
}

/** Starts one service of the server; the four share one configuration folder. */
export function startService({ server, configRoot, service }) {
  return startLogged(configRoot, service, server, [
    '--root',
    configRoot,
    '--config',
    'config',
    '--env',
    'steadfast',
    '--allow-no-auth',
    'start',
    '--service',
    service,
  ]);
}

/**
 * Starts PostgreSQL, the schema and the four services, then registers the `default` namespace. Returns
 * the frontend's address and a stop() that stops everything, services first.
 */
export async function startCluster({
  dir,
  frontendPort = 7233,
  pgPort = 5433,
  shards = 4,
  durable = true,
  namespace = 'default',
}) {
  servicePorts(frontendPort); // a port out of range fails before anything starts
  const { server, sqlTool } = ensureTemporalServer();
  const cli = ensureTemporalCli();
  const postgres = await startPostgres({ dir, port: pgPort, durable });
  const children = { postgres };
  const stop = async () => {
    for (const service of SERVICES.slice().reverse())
      if (children[service]) await stopChild(children[service]);
    // A fault test may have restarted PostgreSQL: stop the one running now.
    await stopChild(children.postgres);
  };
  try {
    setupSchema({ sqlTool, port: pgPort });
    const configRoot = join(dir, 'server');
    mkdirSync(join(configRoot, 'config'), { recursive: true });
    const dynamicConfigFile = join(configRoot, 'config', 'dynamic.yaml');
    // Eager activities: a workflow task's completion carries back the activity it schedules to the same
    // worker, saving a poll per step (notification to first action 1.5 → 0.9 s at the median, bench:act).
    writeFileSync(
      dynamicConfigFile,
      stringify({
        'limit.maxIDLength': [{ value: 255, constraints: {} }],
        'system.enableActivityEagerExecution': [{ value: true, constraints: {} }],
      }),
    );
    writeFileSync(
      join(configRoot, 'config', 'steadfast.yaml'),
      stringify(serverConfig({ frontendPort, pgPort, shards, dynamicConfigFile })),
    );
    // The first service to start writes the cluster's metadata; several at once on a new database race
    // for it and lose with a duplicate key. History goes first, alone, until it listens.
    const [first, ...rest] = SERVICES;
    children[first] = startService({ server, configRoot, service: first });
    const firstPort = servicePorts(frontendPort)[first].grpcPort;
    await waitForPort('127.0.0.1', firstPort, 120_000, () => !children[first].exited).catch((err) => {
      checkAlive(children, configRoot);
      throw err;
    });
    for (const service of rest) children[service] = startService({ server, configRoot, service });
    await waitForPort('127.0.0.1', frontendPort, 120_000, () => !children.frontend.exited);
    const address = `127.0.0.1:${frontendPort}`;
    await ensureNamespace(cli, address, namespace, () => checkAlive(children, configRoot));
    // The server, its configuration and PostgreSQL's place let a fault test restart any one of them.
    return { address, namespace, children, stop, server, configRoot, dir, pgPort };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Registers the namespace unless it exists; the frontend answers before the rest is ready, so it retries. */
async function ensureNamespace(cli, address, namespace, checkAlive) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    checkAlive();
    const described = spawnSync(
      cli,
      ['operator', 'namespace', 'describe', '--namespace', namespace, '--address', address],
      { encoding: 'utf8' },
    );
    if (described.status === 0) return;
    spawnSync(
      cli,
      [
        'operator',
        'namespace',
        'create',
        '--namespace',
        namespace,
        '--retention',
        '72h',
        '--address',
        address,
      ],
      { encoding: 'utf8' },
    );
    if (Date.now() > deadline)
      throw new Error(`namespace ${namespace} could not be registered on ${address}: ${described.stderr}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const isFree = (port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * Free loopback ports for a cluster: a frontend port whose three neighbours and their membership ports
 * (10 above) are free, below the smallint limit, and one for PostgreSQL.
 */
export async function freeClusterPorts() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const ports = [0, 1, 2, 3, 10, 11, 12, 13, 20].map((offset) => base + offset);
    if ((await Promise.all(ports.map(isFree))).every(Boolean))
      return { frontendPort: base, pgPort: base + 20 };
  }
  throw new Error('found no free block of loopback ports for a Temporal cluster');
}
