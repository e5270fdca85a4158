#!/usr/bin/env node
/**
 * `npm start`: installs what is missing, then runs Steadfast on its embedded defaults — a Temporal dev
 * server (SQLite in data/, Web UI on 8233), the worker and the API on 8080 — until Ctrl-C or SIGTERM.
 * With TEMPORAL_ADDRESS set it connects there and starts no dev server.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { which } from './lib/exec.mjs';
import { ensureNodeModules } from './lib/install.mjs';
import { cacheDir, dataDir, root, say } from './lib/paths.mjs';
import { PROCESS_ENV_DEFAULTS } from './lib/native-memory.mjs';
import { ensurePortFree, startChild, stopChild, waitForPort } from './lib/processes.mjs';
import { DEV_SERVER_ARGS, ensureTemporalCli } from './lib/temporal-cli.mjs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`Usage: npm start

Runs the Temporal dev server (unless TEMPORAL_ADDRESS is set), the worker and the API.
Settings come from the environment; the main ones:
  STEADFAST_API_PORT      API port (8080)          STEADFAST_API_TOKEN   bearer token (generated if unset)
  STEADFAST_TOKENS_FILE   tokens with roles (without it, Alertmanager gets an ingest-only token generated)
  TEMPORAL_ADDRESS        use this Temporal server  TEMPORAL_UI_PORT      dev server Web UI port (8233)
  PROMETHEUS_URL          Prometheus for triage     STEADFAST_DOCKER_SOCKET Docker API socket
See docs/configuration.md for all of them.
`);
  process.exit(0);
}

/**
 * A token in `file`, made once (readable by this user only), and its value. It is written whole or not at
 * all (a temporary file, flushed, then renamed): a file left empty by a crash would make a start whose
 * every request is refused while its health says ok. For the same reason a file that holds less than a
 * token (emptied, or cut by hand) stops the start instead of being used.
 */
function tokenIn(file) {
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    const fd = openSync(partial, 'w', 0o600);
    try {
      writeSync(fd, `${randomBytes(24).toString('base64url')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, file);
  }
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 16) {
    throw new Error(
      `${file} holds ${token.length === 0 ? 'no token' : 'a token shorter than 16 characters'}: ` +
        'delete it to have a new one made (and give the new one to whoever used the old), or write one of at least 16 characters',
    );
  }
  return token;
}

/**
 * Tokens for a start without any configured: one with every role for the operator, and one that may
 * only post alerts, for Alertmanager (the API's tokens file lists it by digest). Their values stay in
 * their files, never in this output: a terminal's scrollback or a CI log is no place for them.
 * Returns how the banner names them.
 */
function setUpTokens(env) {
  const shown = (file) => {
    const rel = relative(process.cwd(), file);
    return rel.startsWith('..') ? file : rel;
  };
  const named = { operator: '', alertmanager: '' };
  if (!env.STEADFAST_API_TOKEN && !env.STEADFAST_TOKENS_FILE) {
    const file = join(dataDir, 'api-token');
    env.STEADFAST_API_TOKEN = tokenIn(file);
    named.operator = ` in ${shown(file)}`;
    say(`no STEADFAST_API_TOKEN set: the API's token (every role) is in ${shown(file)}`);
    // Medium and high-risk plans need a named approver; on a start with no configuration, the operator
    // holding this token is the one.
    if (!env.STEADFAST_APPROVERS) {
      env.STEADFAST_APPROVERS = env.STEADFAST_API_IDENTITY || 'admin';
      say(`no STEADFAST_APPROVERS set: ${env.STEADFAST_APPROVERS} (the token's identity) approves`);
    }
  }
  if (!env.STEADFAST_TOKENS_FILE) {
    const file = join(dataDir, 'alertmanager-token');
    const digest = createHash('sha256').update(tokenIn(file), 'utf8').digest('hex');
    const tokensFile = join(dataDir, 'tokens.yaml');
    writeFileSync(
      tokensFile,
      `# Written by npm start: Alertmanager's token (${file}) may only post alerts.\n` +
        `tokens:\n  - { identity: alertmanager, roles: [ingest], sha256: ${digest} }\n`,
      { mode: 0o600 },
    );
    env.STEADFAST_TOKENS_FILE = tokensFile;
    named.alertmanager = ` (ingest only: ${shown(file)})`;
  }
  return named;
}

const children = [];
let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  // The app first, so the worker finishes its tasks while the server is still there.
  for (const child of [...children].reverse()) await stopChild(child);
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  ensureNodeModules();
  mkdirSync(dataDir, { recursive: true });
  const env = { ...process.env };
  // The app writes to a pipe (its lines are relayed with a prefix): it cannot see the terminal itself.
  if (process.stdout.isTTY && !env.STEADFAST_LOG_FORMAT) env.STEADFAST_LOG_FORMAT = 'text';

  const tokens = setUpTokens(env);
  // Every port is checked before anything starts: a taken one stops the start at once.
  const host = env.STEADFAST_API_HOST ?? '127.0.0.1';
  const local = host === '0.0.0.0' ? '127.0.0.1' : host;
  const apiPort = Number(env.STEADFAST_API_PORT ?? 8080);
  await ensurePortFree(local, apiPort, 'STEADFAST_API_PORT');

  let uiUrl = env.TEMPORAL_UI_URL;
  if (!env.TEMPORAL_ADDRESS) {
    const cli = ensureTemporalCli();
    const port = Number(env.TEMPORAL_PORT ?? 7233);
    const uiPort = Number(env.TEMPORAL_UI_PORT ?? 8233);
    await ensurePortFree('127.0.0.1', port, 'TEMPORAL_PORT');
    await ensurePortFree('127.0.0.1', uiPort, 'TEMPORAL_UI_PORT');
    const temporal = startChild('temporal', cli, [
      'server',
      'start-dev',
      '--db-filename',
      join(dataDir, 'temporal.db'),
      ...DEV_SERVER_ARGS,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--log-level',
      'error',
    ]);
    children.push(temporal);
    await waitForPort('127.0.0.1', port, 60_000, () => !temporal.exited);
    env.TEMPORAL_ADDRESS = `127.0.0.1:${port}`;
    uiUrl = `http://127.0.0.1:${uiPort}`;
    env.TEMPORAL_UI_URL = uiUrl;
  }

  if (!env.STEADFAST_DOCKER_SOCKET && !existsSync('/var/run/docker.sock') && which('podman')) {
    const socket = join(dataDir, 'podman.sock');
    const podman = startChild('podman', 'podman', ['system', 'service', '--time=0', `unix://${socket}`], {
      env: { ...env, CONTAINERS_CONF: join(root, 'scripts', 'podman', 'containers.conf') },
    });
    children.push(podman);
    env.STEADFAST_DOCKER_SOCKET = socket;
    say(`no Docker engine at /var/run/docker.sock: serving podman's Docker API on ${socket}`);
  }

  // Compiled, not through tsx: an idle process about 90 MB smaller. Imported here, once node_modules
  // (esbuild) is installed.
  const { compiledEntry } = await import('./build.mjs');
  const app = startChild('app', process.execPath, [await compiledEntry('src/main.ts', root)], {
    env: { ...PROCESS_ENV_DEFAULTS, ...env },
    cwd: root,
  });
  children.push(app);
  await waitForPort(local, apiPort, 120_000, () => !app.exited);
  const api = `http://${local}:${apiPort}`;
  process.stdout.write(
    [
      '',
      'Steadfast is running:',
      `  Console          ${api}/ (sign in with the API token${tokens.operator})`,
      `  API              ${api}/api/v1 (health: ${api}/api/v1/health, metrics: ${api}/metrics)`,
      `  Alertmanager     POST ${api}/api/v1/alertmanager with Authorization: Bearer <token>${tokens.alertmanager}`,
      `  Temporal Web UI  ${uiUrl ?? '(the UI of your Temporal server)'}`,
      `  Temporal         ${env.TEMPORAL_ADDRESS}  (tools cached in ${cacheDir})`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  const first = await Promise.race(children.map((c) => c.done.then(() => c)));
  if (!stopping) {
    say(`${first.name} exited (${first.code}); stopping the rest`);
    await stopAll(1);
  }
} catch (err) {
  say(err instanceof Error ? err.message : String(err));
  await stopAll(1);
}
