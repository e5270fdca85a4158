import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { say } from './paths.mjs';

/** Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForPort(host, port, timeoutMs, isAlive = () => true) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (!isAlive()) throw new Error(`the process meant to listen on ${host}:${port} exited`);
    if (Date.now() > deadline)
      throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts a child whose output is prefixed with its name; tracks whether it still runs. */
export function startChild(name, command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
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
