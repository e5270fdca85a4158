import { heartbeat } from '@temporalio/activity';
import type Docker from 'dockerode';
import { containerOf, describeLimits, dockerActions } from '../../actions/docker.js';
import type { ActionEffect, DockerStep, SnapshotOf, StepOf } from '../../actions/steps.js';
import { actionRunner, type ActionHandler, type ActionHandlers, type ActionRunner } from '../handler.js';
import { beating } from '../heartbeat.js';
import { aliasesOf, DEFAULT_STOP_SECONDS, endpointOn, identityOf, DockerEngine } from './engine.js';
import { scaleHandler } from './scale.js';

type DockerAction = DockerStep['action'];
type OnContainer = Exclude<DockerStep, { action: 'docker.scale' }>;
type NetworkAction = 'docker.network-disconnect' | 'docker.network-connect';

/** The container a step names, as the engine resolves the name, ID or ID prefix (and its network). */
async function identifyContainer(engine: DockerEngine, step: OnContainer) {
  const container = identityOf(await engine.inspect(step.container));
  if ('network' in step) {
    const { Id, Name } = await engine.inspectNetwork(step.network);
    return { kind: 'docker-container' as const, container, network: { id: Id, name: Name } };
  }
  return { kind: 'docker-container' as const, container };
}

function restart(engine: DockerEngine): ActionHandler<'docker.restart'> {
  return {
    identify: (step) => identifyContainer(engine, step),
    async snapshot(step) {
      const info = await engine.inspect(step.container);
      return { action: step.action, containerId: info.Id, startedAt: info.State.StartedAt };
    },
    async apply(step, snapshot) {
      heartbeat();
      const before = await engine.inspect(snapshot.containerId);
      if (before.State.StartedAt !== snapshot.startedAt && before.State.Running) {
        return {
          acted: false,
          summary: `container ${containerOf(step)} was already restarted (up since ${before.State.StartedAt})`,
        };
      }
      const container = engine.docker.getContainer(snapshot.containerId);
      // The engine waits up to the stop timeout, which may outlast the heartbeat timeout: without beats a
      // live attempt was taken for a dead one, and its retry, still seeing the old start, restarted again.
      try {
        await beating(container.restart({ t: step.stopTimeoutSeconds }));
      } catch (err) {
        // A process that exits just as the stop timeout ends can make the engine's kill fail; the
        // container is then merely stopped, and starting it finishes the restart.
        const now = await engine.inspect(snapshot.containerId);
        if (now.State.Running) throw err;
        await beating(container.start());
      }
      const after = await engine.inspect(snapshot.containerId);
      return {
        acted: true,
        summary: `restarted container ${containerOf(step)} (up since ${after.State.StartedAt})`,
      };
    },
  };
}

type RunningStep = StepOf<'docker.start' | 'docker.stop'>;
type NetworkStep = StepOf<NetworkAction>;
const runningWord = (up: boolean): string => (up ? 'running' : 'stopped');

/** Start and stop: each one's compensation is the other, back to the running state recorded. */
function running(engine: DockerEngine) {
  const read = async (step: RunningStep) => {
    const info = await engine.inspect(step.container);
    return { containerId: info.Id, running: info.State.Running };
  };
  /** False when the container already was in the wanted state. */
  const setTo = async (step: RunningStep, containerId: string, wanted: boolean): Promise<boolean> => {
    heartbeat();
    const now = await engine.inspect(containerId);
    if (now.State.Running === wanted) return false;
    const stopSeconds = step.action === 'docker.stop' ? step.stopTimeoutSeconds : DEFAULT_STOP_SECONDS;
    return engine.setRunning(containerId, wanted, stopSeconds);
  };
  const apply = async (step: RunningStep, containerId: string): Promise<ActionEffect> => {
    const up = step.action === 'docker.start';
    if (!(await setTo(step, containerId, up))) {
      return { acted: false, summary: `container ${containerOf(step)} was already ${runningWord(up)}` };
    }
    return { acted: true, summary: `${up ? 'started' : 'stopped'} container ${containerOf(step)}` };
  };
  const restore = async (
    step: RunningStep,
    snapshot: { containerId: string; running: boolean },
  ): Promise<ActionEffect> => {
    if (!(await setTo(step, snapshot.containerId, snapshot.running))) {
      return {
        acted: false,
        summary: `container ${containerOf(step)} was already ${runningWord(snapshot.running)}`,
      };
    }
    return {
      acted: true,
      summary: `${snapshot.running ? 'started' : 'stopped'} container ${containerOf(step)} again`,
    };
  };
  const start: ActionHandler<'docker.start'> = {
    identify: (step) => identifyContainer(engine, step),
    snapshot: async (step) => ({ action: step.action, ...(await read(step)) }),
    apply: (step, snapshot) => apply(step, snapshot.containerId),
    compensate: restore,
  };
  const stop: ActionHandler<'docker.stop'> = {
    identify: (step) => identifyContainer(engine, step),
    snapshot: async (step) => ({ action: step.action, ...(await read(step)) }),
    apply: (step, snapshot) => apply(step, snapshot.containerId),
    compensate: restore,
  };
  return { start, stop };
}

function updateResources(engine: DockerEngine): ActionHandler<'docker.update-resources'> {
  return {
    identify: (step) => identifyContainer(engine, step),
    async snapshot(step) {
      const info = await engine.inspect(step.container);
      return {
        action: step.action,
        containerId: info.Id,
        memoryBytes: info.HostConfig.Memory ?? 0,
        memorySwapBytes: info.HostConfig.MemorySwap ?? 0,
        nanoCpus: info.HostConfig.NanoCpus ?? 0,
      };
    },
    async apply(step, snapshot) {
      heartbeat();
      const memory = step.memoryBytes ?? snapshot.memoryBytes;
      // Swap is a total of memory plus swap: keep the same headroom as before, or none if unset.
      const swapHeadroom = snapshot.memorySwapBytes > 0 ? snapshot.memorySwapBytes - snapshot.memoryBytes : 0;
      const memorySwap =
        step.memoryBytes === undefined
          ? snapshot.memorySwapBytes
          : snapshot.memorySwapBytes === -1
            ? -1
            : memory + Math.max(swapHeadroom, 0);
      await engine.updateResources(snapshot.containerId, {
        memory,
        memorySwap,
        nanoCpus: step.nanoCpus ?? snapshot.nanoCpus,
      });
      return {
        acted: true,
        summary: `${dockerActions['docker.update-resources'].describe(step)} (was ${describeLimits(snapshot.memoryBytes, snapshot.nanoCpus)})`,
      };
    },
    async compensate(_step, snapshot) {
      heartbeat();
      await engine.updateResources(snapshot.containerId, {
        memory: snapshot.memoryBytes,
        memorySwap: snapshot.memorySwapBytes,
        nanoCpus: snapshot.nanoCpus,
      });
      return {
        acted: true,
        summary: `restored container ${snapshot.containerId.slice(0, 12)} to ${describeLimits(snapshot.memoryBytes, snapshot.nanoCpus)}`,
      };
    },
  };
}

/** Network connect and disconnect: each one's compensation restores the membership (and aliases) recorded. */
function network(engine: DockerEngine) {
  const membership = (connected: boolean): string => (connected ? 'connected to' : 'disconnected from');
  const read = async (step: NetworkStep) => {
    const info = await engine.inspect(step.container);
    const net = await engine.inspectNetwork(step.network);
    const endpoint = endpointOn(info, net);
    return {
      containerId: info.Id,
      networkId: net.Id,
      connected: endpoint !== undefined,
      aliases: aliasesOf(info, endpoint),
    };
  };
  const apply = async (step: NetworkStep, snapshot: SnapshotOf<NetworkAction>): Promise<ActionEffect> => {
    heartbeat();
    const connect = step.action === 'docker.network-connect';
    const where = `network ${step.network}`;
    if (!(await engine.setConnected(snapshot, connect, []))) {
      return {
        acted: false,
        summary: `container ${containerOf(step)} was already ${membership(connect)} ${where}`,
      };
    }
    return {
      acted: true,
      summary: `${connect ? 'connected' : 'disconnected'} container ${containerOf(step)} ${connect ? 'to' : 'from'} ${where}`,
    };
  };
  const restore = async (step: NetworkStep, snapshot: SnapshotOf<NetworkAction>): Promise<ActionEffect> => {
    heartbeat();
    const where = `network ${step.network}`;
    if (!(await engine.setConnected(snapshot, snapshot.connected, snapshot.aliases))) {
      return {
        acted: false,
        summary: `container ${containerOf(step)} was already ${membership(snapshot.connected)} ${where}`,
      };
    }
    const aliases = snapshot.aliases.length > 0 ? ` with aliases ${snapshot.aliases.join(', ')}` : '';
    return {
      acted: true,
      summary: snapshot.connected
        ? `reconnected container ${containerOf(step)} to ${where}${aliases}`
        : `disconnected container ${containerOf(step)} from ${where} again`,
    };
  };
  const disconnect: ActionHandler<'docker.network-disconnect'> = {
    identify: (step) => identifyContainer(engine, step),
    snapshot: async (step) => ({ action: step.action, ...(await read(step)) }),
    apply,
    compensate: restore,
  };
  const connect: ActionHandler<'docker.network-connect'> = {
    identify: (step) => identifyContainer(engine, step),
    snapshot: async (step) => ({ action: step.action, ...(await read(step)) }),
    apply,
    compensate: restore,
  };
  return { disconnect, connect };
}

/** The Docker actions, on a Docker Engine API (Docker, or podman's compatible service). */
export function dockerHandlers(docker: Docker): ActionHandlers<DockerAction> {
  const engine = new DockerEngine(docker);
  const { start, stop } = running(engine);
  const { connect, disconnect } = network(engine);
  return {
    'docker.restart': restart(engine),
    'docker.stop': stop,
    'docker.start': start,
    'docker.update-resources': updateResources(engine),
    'docker.scale': scaleHandler(engine),
    'docker.network-disconnect': disconnect,
    'docker.network-connect': connect,
  };
}

/** The Docker actions behind one dispatcher: what tests and the target resolver use. */
export const dockerRunner = (docker: Docker): ActionRunner<DockerStep> =>
  actionRunner(dockerHandlers(docker));
