import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { which } from './exec.mjs';
import { say } from './paths.mjs';

/** Whether something accepts TCP connections on host:port now. */
function accepts(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Fails when something listens on host:port already: the child meant for it could not bind, and
 * waitForPort would take the stranger for it (a start killed with -9 by an older version left its
 * processes running). `setting` names the variable that moves the port.
 */
export async function ensurePortFree(host, port, setting) {
  if (await accepts(host, port)) {
    throw new Error(
      `${host}:${port} is in use already (another Steadfast still running, or another program): ` +
        `stop it, or choose another port with ${setting}`,
    );
  }
}

/** Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForPort(host, port, timeoutMs, isAlive = () => true) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await accepts(host, port);
    if (open) return;
    if (!isAlive()) throw new Error(`the process meant to listen on ${host}:${port} exited`);
    if (Date.now() > deadline)
      throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * util-linux's setpriv, where there is one: a child started through it is sent SIGTERM when this process
 * dies, however it dies (kill -9 too), so no orphan keeps serving the ports and data/temporal.db. It
 * execs the command, so the child's PID is the command's.
 */
const DIES_WITH_US = which('setpriv') ? ['--pdeathsig', 'SIGTERM', '--'] : undefined;

/** Starts a child whose output is prefixed with its name; tracks whether it still runs. */
export function startChild(name, command, args, options = {}) {
  const [file, argv] = DIES_WITH_US ? ['setpriv', [...DIES_WITH_US, command, ...args]] : [command, args];
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const state = { child, name, exited: false, code: null };
  const relay = (stream, target) => {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) target.write(`${name.padEnd(8)}| ${line}\n`);
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  state.done = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      state.exited = true;
      state.code = code ?? signal;
      resolve(state.code);
    }),
  );
  child.once('error', (err) => say(`${name} could not start: ${err.message}`));
  return state;
}

/** Asks a child to stop (SIGTERM), and kills it if it has not after graceMs. */
export async function stopChild(state, graceMs = 15_000) {
  if (state.exited) return;
  state.child.kill('SIGTERM');
  const timer = setTimeout(() => state.child.kill('SIGKILL'), graceMs);
  await state.done;
  clearTimeout(timer);
}
